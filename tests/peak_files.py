"""Tiny peak sets for the tests: a random genome FASTA and BED/narrowPeak files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

SPLIT = {"valid_chromosomes": ["chr2"], "test_chromosomes": ["chr3"]}


def write_genome(path: Path, sizes: dict[str, int], seed: int = 0, width: int = 60) -> Path:
    """A random genome FASTA (``width``-letter lines, a soft-masked stretch per chromosome)."""
    rng = np.random.default_rng(seed)
    lines = []
    for name, size in sizes.items():
        seq = "".join(np.array(list("ACGT"))[rng.integers(0, 4, size)])
        seq = seq[:100] + seq[100:200].lower() + seq[200:]
        lines += [f">{name} test", *(seq[i : i + width] for i in range(0, size, width))]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_peaks(path: Path, rows: list[tuple], narrow: bool = True) -> Path:
    """BED3 or narrowPeak lines of (chrom, start, end[, summit offset])."""
    text = []
    for row in rows:
        chrom, start, end, *summit = row
        if narrow:
            peak = summit[0] if summit else -1
            text.append(f"{chrom}\t{start}\t{end}\tp\t0\t.\t5.0\t-1\t-1\t{peak}")
        else:
            text.append(f"{chrom}\t{start}\t{end}")
    data = ("track name=x\n# comment\n" + "\n".join(text) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def random_peaks(n: int, chroms: list[str], size: int, seed: int) -> list[tuple]:
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n):
        start = int(rng.integers(600, size - 900))
        rows.append((chroms[k % len(chroms)], start, start + 300, int(rng.integers(0, 300))))
    return rows
