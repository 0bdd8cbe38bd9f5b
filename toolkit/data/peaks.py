"""Peak files + a reference genome -> the toolkit's HDF5 layout, streamed to disk.

``task: sequences`` with ``data.generate.peaks`` (:func:`toolkit.data.sequences.sequences`
hands it here), made once per sweep before any run (:mod:`toolkit.steps.prepare`)::

    data:
      generate:
        peaks: {CTCF: ctcf.narrowPeak.gz, IRF1: irf1.bed}   # or a list, or one file
        genome: hg38.fa                  # indexed (.fai) random access; index built if missing
        length: 1000                     # centred on the narrowPeak summit, else the centre
        split: {valid_chromosomes: [chr7], test_chromosomes: [chr8, chr9]}   # the default
        background: {methods: [gc_matched], ratio: 1.0, seed: 0}

The positive windows (:mod:`toolkit.data.peak_windows`) and the negatives' coordinates
(:mod:`toolkit.data.background`) are small arrays of coordinates; sequences are read from
the genome (:mod:`toolkit.data.genome`, pyfaidx) ``batch`` windows at a time, one-hot
encoded and written to chunked, gzip-compressed HDF5 datasets, so neither the genome nor the
windows' sequences are ever in memory at once. Beside ``X_*``/``Y_*``/``ids_*`` every split
records how each row was made: ``origin_*`` (``peak``, ``shuffle``, ``flank``,
``gc_matched``), ``source_*`` (the peak's ``file:line``, or the positive a negative was made
from, or the GC bin matched) and ``seed_*`` (a shuffle's stream k, -1 otherwise); the root
attributes ``peaks`` and ``background`` (JSON) hold the options, the counts and the seed.
The file appears atomically (a temporary file renamed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from toolkit.data.background import Negatives, background
from toolkit.data.dinucleotide_shuffle import dinucleotide_shuffle
from toolkit.data.genome import Genome, genome
from toolkit.data.peak_windows import SPLITS, Windows, peak_windows

_ONE_HOT = np.zeros((256, 4), np.float32)
for _k, _letter in enumerate("ACGT"):
    _ONE_HOT[ord(_letter), _k] = 1.0
_ONE_HOT[ord("N")] = 0.25


def peaks(
    output: str | os.PathLike,
    peaks: str | list | dict,
    genome_fasta: str | os.PathLike,
    length: int,
    output_column: int | None = None,
    chromosomes: list[str] | None = None,
    exclude_chromosomes: list[str] | None = None,
    split: dict | None = None,
    blacklist: str | None = None,
    off_chromosome: str = "drop",
    max_n_fraction: float = 0.1,
    background_options: dict | None = None,
    batch: int = 1024,
) -> Path:
    """Write the peaks' windows (and their background) as the HDF5 layout.

    Parameters
    ----------
    output : str or os.PathLike
        The ``.h5`` to write; the genome's index goes beside it when the genome's folder is
        read-only.
    peaks, length, output_column, chromosomes, exclude_chromosomes, split, blacklist,
    off_chromosome, max_n_fraction :
        See :func:`toolkit.data.peak_windows.peak_windows`.
    genome_fasta : str or os.PathLike
        The genome FASTA.
    background_options : dict, optional
        ``{"methods": [...], "ratio": r, "seed": s}`` (:func:`toolkit.data.background.background`).
    batch : int
        Windows read and encoded at a time.

    Returns
    -------
    Path
    """
    import h5py

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    options = {
        "output_column": output_column,
        "chromosomes": chromosomes,
        "exclude_chromosomes": exclude_chromosomes,
        "split": split,
        "blacklist": blacklist,
        "off_chromosome": off_chromosome,
        "max_n_fraction": max_n_fraction,
    }
    with genome(genome_fasta, index_dir=output.parent) as fasta:
        windows = peak_windows(peaks, fasta, length, **options)
        negatives, seed = None, int((background_options or {}).get("seed", 0))
        if background_options:
            from toolkit.config.sections import BACKGROUND  # its defaults, declared once

            bg = dict(BACKGROUND) | background_options
            negatives = background(windows, fasta, max_n_fraction=max_n_fraction, **bg)
        tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        try:
            with h5py.File(tmp, "w") as f:
                for code, name in enumerate(SPLITS):
                    _write_split(f, name, code, windows, negatives, fasta, batch, seed)
                _attributes(f, windows, negatives, background_options, peaks, fasta, length)
            os.replace(tmp, output)
        finally:
            tmp.unlink(missing_ok=True)
    return output


def _write_split(f, name, code, windows: Windows, negatives, fasta: Genome, batch, seed) -> None:
    """One split's datasets, positives then negatives, ``batch`` rows at a time."""
    pos = np.flatnonzero(windows.split == code)
    neg = np.flatnonzero(negatives.split == code) if negatives is not None else np.array([], int)
    n, length, k = len(pos) + len(neg), int(windows.end[0] - windows.start[0]), len(windows.outputs)
    chunk = (max(min(n, 256), 1), 4, length)
    x = f.create_dataset(
        f"X_{name}",
        (n, 4, length),
        np.float32,
        chunks=chunk,
        compression="gzip",
        compression_opts=1,
    )
    y = np.zeros((n, k), np.uint8)
    y[: len(pos)] = windows.labels[pos]
    f.create_dataset(f"Y_{name}", data=y, compression="gzip")
    ids, origin, source, streams = _row_records(pos, neg, windows, negatives)
    f.create_dataset(f"ids_{name}", data=np.asarray(ids, "S"))
    f.create_dataset(f"origin_{name}", data=np.asarray(origin, "S"))
    f.create_dataset(f"source_{name}", data=np.asarray(source, "S"))
    f.create_dataset(f"seed_{name}", data=streams)
    rows = [("pos", r) for r in pos] + [("neg", r) for r in neg]
    for a in range(0, n, batch):
        seqs = [
            _sequence(kind, r, windows, negatives, fasta, seed) for kind, r in rows[a : a + batch]
        ]
        codes = np.frombuffer("".join(seqs).encode(), np.uint8).reshape(len(seqs), length)
        x[a : a + len(seqs)] = _ONE_HOT[codes].transpose(0, 2, 1)


def _sequence(kind: str, row: int, windows: Windows, negatives, fasta: Genome, bg_seed: int) -> str:
    if kind == "pos":
        return fasta.window(windows.chrom[row], int(windows.start[row]), int(windows.end[row]))
    seq = fasta.window(negatives.chrom[row], int(negatives.start[row]), int(negatives.end[row]))
    if negatives.method[row] == "shuffle":
        rng = np.random.default_rng([bg_seed, int(negatives.seed[row])])
        return dinucleotide_shuffle(seq, rng)
    return seq


def _row_records(pos, neg, windows: Windows, negatives: Negatives | None):
    """ids, origin, source and seed of each row of a split (positives, then negatives)."""
    ids = [f"{windows.chrom[r]}:{windows.start[r]}-{windows.end[r]}" for r in pos]
    origin = ["peak"] * len(pos)
    source = list(windows.source[pos])
    seed = [-1] * len(pos)
    for r in neg:
        locus = f"{negatives.chrom[r]}:{negatives.start[r]}-{negatives.end[r]}"
        method = negatives.method[r]
        ids.append(f"shuffle{negatives.seed[r]}_{locus}" if method == "shuffle" else locus)
        origin.append(method)
        source.append(negatives.source[r])
        seed.append(int(negatives.seed[r]))
    return ids, origin, source, np.asarray(seed, np.int64)


def _attributes(f, windows: Windows, negatives, options, files, fasta: Genome, length) -> None:
    f.attrs["label_names"] = np.asarray(windows.outputs, "S")
    if isinstance(files, dict):
        files = {k: str(v) for k, v in files.items()}
    else:
        files = [str(files)] if isinstance(files, str | os.PathLike) else [str(v) for v in files]
    names = files if isinstance(files, dict) else {"files": files}
    f.attrs["source"] = f"peaks {json.dumps(names)}, genome {fasta.path.name}"
    f.attrs["peaks"] = json.dumps(
        {
            "files": files,
            "genome": str(fasta.path),
            "length": length,
            "split_chromosomes": windows.split_chromosomes,
            "counts": windows.counts,
            "positives": {s: int((windows.split == c).sum()) for c, s in enumerate(SPLITS)},
        }
    )
    if options:
        from toolkit.config.sections import BACKGROUND

        options = dict(BACKGROUND) | options
    f.attrs["background"] = json.dumps(_summary(options, negatives))


def _summary(options: dict | None, negatives: Negatives | None) -> dict:
    """What the record and the report say of the negatives: methods, ratio, seed, counts."""
    if not options:
        return {"methods": [], "note": "no background: negatives only from the peak files"}
    return {
        "methods": list(options["methods"]),
        "ratio": float(options.get("ratio", 1.0)),
        "seed": int(options.get("seed", 0)),
        "shuffle_rng": "numpy.random.default_rng([seed, seed_<split>[row]]), Altschul-Erikson",
        "counts": negatives.counts if negatives is not None else {},
    }
