"""Preparation of a peaks + genome data set at scale: time and peak memory (docs/benchmarks.md).

Generates a genome of realistic shape (24 chromosomes with hg38's relative sizes, ``--genome-gb``
in all, random A/C/G/T in 60-letter lines, 10 kb of N at each chromosome's start as at hg38's
telomeres) and ``--files`` gzipped narrowPeak files of ``--peaks`` peaks each, then measures in
child processes (each its own peak RSS, from ``getrusage(RUSAGE_CHILDREN)``):

1. building the genome's ``.fai`` index (pyfaidx; once per genome);
2. the preparation ``expact run`` does once per sweep (``toolkit.data.sequences.sequences``
   with ``peaks``): read and check the peak files, read every window, make the background,
   stream the HDF5;
3. the dinucleotide shuffle's rate on ``--shuffle-sample`` windows (the ``shuffle`` background
   costs this per negative, on top of step 2).

    nice python bench/bench_peaks.py --genome-gb 3.0 --peaks 200000 --files 3 --length 1000 \
        --work /tmp/bench_peaks

The genome and peak files are kept in ``--work`` and reused by later runs of the same size.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# hg38 chr1..22, X, Y lengths in Mb: the shape of the generated genome
HG38_MB = [248, 242, 198, 190, 181, 171, 159, 145, 138, 134, 135, 133, 114, 107, 102, 90, 83, 80,
           59, 64, 47, 51, 156, 57]  # fmt: skip
NAMES = [f"chr{k}" for k in range(1, 23)] + ["chrX", "chrY"]
TELOMERE = 10_000


def write_genome(path: Path, total: float, seed: int = 0) -> dict[str, int]:
    """A random genome of ``total`` bases (24 chromosomes), written chunk by chunk."""
    sizes = {
        n: int(total * mb / sum(HG38_MB)) // 60 * 60 for n, mb in zip(NAMES, HG38_MB, strict=True)
    }
    if path.is_file() and path.with_suffix(".json").is_file():
        if json.loads(path.with_suffix(".json").read_text()) == sizes:
            return sizes
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", np.uint8)
    chunk = 60 * 200_000  # 12 Mb a time
    with open(path, "wb") as f:
        for name, size in sizes.items():
            f.write(f">{name}\n".encode())
            for at in range(0, size, chunk):
                n = min(chunk, size - at)
                seq = letters[rng.integers(0, 4, n, dtype=np.uint8)]
                if at == 0:
                    seq[:TELOMERE] = ord("N")
                lines = np.full((n // 60, 61), ord("\n"), np.uint8)
                lines[:, :60] = seq.reshape(-1, 60)
                f.write(lines.tobytes())
    path.with_suffix(".json").write_text(json.dumps(sizes))
    return sizes


def write_peaks(path: Path, sizes: dict[str, int], n: int, seed: int) -> None:
    """``n`` narrowPeak lines at random places (200-1000 nt wide, summit inside), gzipped."""
    if path.is_file():
        return
    rng = np.random.default_rng(seed)
    names = list(sizes)
    weights = np.array([sizes[c] for c in names], float)
    chrom = rng.choice(len(names), n, p=weights / weights.sum())
    width = rng.integers(200, 1000, n)
    lines = []
    for c, w in zip(chrom, width, strict=True):
        start = int(rng.integers(TELOMERE + 2000, sizes[names[c]] - 3000))
        summit = int(rng.integers(0, w))
        lines.append(f"{names[c]}\t{start}\t{start + w}\tpeak\t0\t.\t5.0\t-1\t-1\t{summit}\n")
    with gzip.open(path, "wt", compresslevel=6) as f:
        f.writelines(lines)


def child(code: str) -> tuple[str, float, str]:
    """Run ``code`` in a fresh Python: ("wall s, CPU s", peak RSS in MiB of that child, stdout).

    CPU seconds (user + system) are what a quiet machine's wall time would be for this
    single-threaded work; the wall time counts the waits of a shared one too.
    """
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    if after.ru_maxrss <= usage.ru_maxrss:
        print("  (peak RSS not above an earlier child's; the figure is an upper bound)")
    return f"{seconds:.1f} s wall, {cpu:.1f} s CPU", after.ru_maxrss / 1024, out.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--genome-gb", type=float, default=3.0)
    parser.add_argument("--peaks", type=int, default=200_000, help="peaks per file")
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--background", default="gc_matched,flank")
    parser.add_argument("--ratio", type=float, default=1.0)
    parser.add_argument("--shuffle-sample", type=int, default=2000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_peaks"))
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    genome = args.work / f"genome_{args.genome_gb:g}gb.fa"

    started = time.perf_counter()
    sizes = write_genome(genome, args.genome_gb * 1e9)
    files = [
        args.work / f"peaks{k}_{args.genome_gb:g}gb_{args.peaks}.narrowPeak.gz"
        for k in range(args.files)
    ]
    for k, path in enumerate(files):
        write_peaks(path, sizes, args.peaks, seed=k + 1)
    made = time.perf_counter() - started
    total = sum(sizes.values())
    print(f"load average {os.getloadavg()}, {os.cpu_count()} CPUs")
    print(
        f"genome {genome} ({total / 1e9:.2f} Gb, {genome.stat().st_size / 2**30:.2f} GiB on disk), "
        f"{args.files} x {args.peaks} peaks; made or reused in {made:.0f} s"
    )

    fai = genome.with_name(genome.name + ".fai")
    fai.unlink(missing_ok=True)
    code = f"from toolkit.data.genome import genome; genome({str(genome)!r}).close()"
    seconds, rss, _ = child(code)
    print(f"index (.fai) built: {seconds}, peak RSS {rss:.0f} MiB")

    output = args.work / "peaks.h5"
    options = {
        "peaks": [str(p) for p in files],
        "genome": str(genome),
        "length": args.length,
        "background": {"methods": args.background.split(","), "ratio": args.ratio, "seed": 0},
    }
    code = (
        "import json, h5py; from toolkit.data.sequences import sequences; "
        f"out = sequences({str(output)!r}, **{options!r}); f = h5py.File(out); "
        "print(json.dumps({s: len(f['X_' + s]) for s in ('train', 'valid', 'test')}))"
    )
    seconds, rss, rows = child(code)
    print(
        f"prepared ({options['background']}): {seconds}, peak RSS {rss:.0f} MiB, "
        f"rows {rows}, {output.stat().st_size / 2**30:.2f} GiB HDF5"
    )

    code = (
        "import time, numpy as np; from toolkit.data.genome import genome; "
        "from toolkit.data.dinucleotide_shuffle import dinucleotide_shuffle as d; "
        f"g = genome({str(genome)!r}); rng = np.random.default_rng(0); "
        f"seqs = [g.fetch('chr1', s, s + {args.length}) for s in range(10**6, 10**6 + {args.shuffle_sample} * 1000, 1000)]; "
        "t = time.perf_counter(); [d(s, rng) for s in seqs]; print(time.perf_counter() - t)"
    )
    _, _, out = child(code)
    rate = args.shuffle_sample / float(out)
    print(
        f"dinucleotide shuffle: {rate:.0f} windows/s of {args.length} nt "
        f"({args.files * args.peaks / rate:.0f} s for one shuffle per peak)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
