"""Background (negative) sequences made for the positives of a peak set, and how each was made.

``data.generate.background: {methods: [...], ratio: r, seed: s}`` asks for ``round(r * n)``
negatives per split of n positives, shared evenly among the methods (the first ones take
the remainder). Every negative has label 0 for every output and stays in its source's
split (no test positive's shuffle trains the model). The methods:

- ``shuffle``: a dinucleotide shuffle of a positive of the split
  (:func:`toolkit.data.dinucleotide_shuffle.dinucleotide_shuffle`), the k-th negative with
  ``numpy.random.default_rng([seed, k])``; drawn when the sequences are written;
- ``flank``: the window ``m * length`` (m = 1, 2, 3, nearest first, the side drawn at
  random) upstream or downstream of a positive of the split;
- ``gc_matched``: random windows of the split's kept chromosomes, accepted while their
  GC-content bin (50 bins of 0.02) still needs windows to match the split's positives'
  distribution.

No flank or GC-matched window overlaps any peak of any input file, any positive window or
the blacklist (:class:`toolkit.data.peak_windows.Windows` ``.exclusion``), runs off its
chromosome, holds a letter other than A, C, G, T, N or more than ``max_n_fraction`` N.
Where fewer are found than asked (after ``max_tries`` draws per negative), the shortfall is
counted and reported, not hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.config.names import BACKGROUND_METHODS
from toolkit.data.genome import Genome
from toolkit.data.peak_windows import Windows
from toolkit.errors import InputError

GC_BINS = 50
_ACGTN = str.maketrans("", "", "ACGTN")  # deletes these: what is left is other letters


@dataclass
class Negatives:
    """The background rows (M), in split order.

    Attributes
    ----------
    chrom, start, end : np.ndarray, shape (M,)
        The window read: the negative's own (flank, gc_matched) or the shuffled positive's.
    split : np.ndarray, shape (M,), int8
    method : np.ndarray, shape (M,), object
        ``shuffle``, ``flank`` or ``gc_matched``.
    seed : np.ndarray, shape (M,), int64
        The shuffle's stream k (``default_rng([seed, k])``); -1 for the others.
    source : np.ndarray, shape (M,), object
        The positive it came from (``chr:start-end``; for gc_matched the GC bin matched).
    counts : dict
        Asked and made per split and method.
    """

    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray
    split: np.ndarray
    method: np.ndarray
    seed: np.ndarray
    source: np.ndarray
    counts: dict


def background(
    windows: Windows,
    genome: Genome,
    methods: list[str],
    ratio: float = 1.0,
    seed: int = 0,
    max_n_fraction: float = 0.1,
    max_tries: int = 100,
) -> Negatives:
    """Make the negatives' coordinates (see the module doc).

    Parameters
    ----------
    windows : Windows
        The positives, with their GC content read.
    genome : Genome
    methods : list of str
        Out of :data:`toolkit.config.names.BACKGROUND_METHODS`.
    ratio : float
        Negatives per positive, in every split.
    seed : int
    max_n_fraction : float
    max_tries : int
        Candidate windows drawn per negative before giving up (flank: offsets tried).

    Returns
    -------
    Negatives
    """
    unknown = [m for m in methods if m not in BACKGROUND_METHODS]
    if unknown or not methods:
        raise InputError(
            None, "data.generate.background.methods", f"expected some of {BACKGROUND_METHODS}"
        )
    rng = np.random.default_rng(seed)
    parts, counts, shuffled = [], {}, 0
    for code, split in enumerate(("train", "valid", "test")):
        rows = np.flatnonzero(windows.split == code)
        total = int(round(ratio * len(rows)))
        shares = [total // len(methods) + (k < total % len(methods)) for k in range(len(methods))]
        counts[split] = {}
        for method, n in zip(methods, shares, strict=True):
            made = _make(method, n, rows, windows, genome, rng, max_n_fraction, max_tries)
            if method == "shuffle":
                made["seed"] = np.arange(shuffled, shuffled + len(made["chrom"]), dtype=np.int64)
                shuffled += len(made["chrom"])
            made["split"] = np.full(len(made["chrom"]), code, np.int8)
            made["method"] = np.full(len(made["chrom"]), method, object)
            counts[split][method] = {"asked": n, "made": int(len(made["chrom"]))}
            parts.append(made)
    fields = ("chrom", "start", "end", "split", "method", "seed", "source")
    joined = {f: np.concatenate([p[f] for p in parts]) if parts else np.array([]) for f in fields}
    return Negatives(**joined, counts=counts)


def _make(method, n, rows, windows, genome, rng, max_n_fraction, max_tries) -> dict:
    if n == 0 or len(rows) == 0:
        return _rows([], [], [], [], [])
    if method == "shuffle":
        picked = _cycle(rows, n, rng)
        return _rows(
            windows.chrom[picked],
            windows.start[picked],
            windows.end[picked],
            [_locus(windows, r) for r in picked],
            np.zeros(n, np.int64),
        )
    if method == "flank":
        return _flank(n, rows, windows, genome, rng, max_n_fraction, max_tries)
    return _gc_matched(n, rows, windows, genome, rng, max_n_fraction, max_tries)


def _rows(chrom, start, end, source, seed=None) -> dict:
    n = len(chrom)
    return {
        "chrom": np.asarray(chrom, object),
        "start": np.asarray(start, np.int64),
        "end": np.asarray(end, np.int64),
        "source": np.asarray(source, object),
        "seed": np.full(n, -1, np.int64) if seed is None else np.asarray(seed, np.int64),
    }


def _cycle(rows: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n positives: random permutations of ``rows`` one after the other."""
    reps = -(-n // len(rows))
    return np.concatenate([rng.permutation(rows) for _ in range(reps)])[:n]


def _locus(windows: Windows, row: int) -> str:
    return f"{windows.chrom[row]}:{windows.start[row]}-{windows.end[row]}"


def _usable(genome: Genome, windows: Windows, chrom: str, start: int, end: int, max_n) -> str:
    """The window's sequence if a negative may be made of it, else ''."""
    if start < 0 or end > genome.lengths[chrom]:
        return ""
    if windows.exclusion.overlaps(chrom, start, end)[0]:
        return ""
    seq = genome.fetch(chrom, start, end)
    if seq.count("N") > max_n * len(seq) or seq.translate(_ACGTN):
        return ""
    return seq


def _flank(n, rows, windows, genome, rng, max_n, max_tries) -> dict:
    length = int(windows.end[0] - windows.start[0])
    chrom, start, source = [], [], []
    for row in _cycle(rows, 3 * n, rng):
        if len(chrom) == n:
            break
        sides = (-1, 1) if rng.random() < 0.5 else (1, -1)
        for offset in (side * m * length for m in (1, 2, 3) for side in sides):
            at = int(windows.start[row]) + offset
            if _usable(genome, windows, windows.chrom[row], at, at + length, max_n):
                chrom.append(windows.chrom[row])
                start.append(at)
                source.append(_locus(windows, row))
                break
    return _rows(chrom, start, np.asarray(start, np.int64) + length, source)


def _gc_matched(n, rows, windows, genome, rng, max_n, max_tries) -> dict:
    length = int(windows.end[0] - windows.start[0])
    bins = np.minimum((windows.gc[rows] * GC_BINS).astype(int), GC_BINS - 1)
    quota = np.bincount(bins, minlength=GC_BINS) / len(bins) * n
    need = np.floor(quota).astype(int)  # then the largest remainders: n in all
    need[np.argsort(need - quota)[: n - need.sum()]] += 1
    code = int(windows.split[rows[0]])
    chroms = [c for c in windows.kept_chromosomes if _split_code(windows, c) == code]
    room = np.array([max(genome.lengths[c] - length + 1, 0) for c in chroms], np.int64)
    chrom, start, source = [], [], []
    if not chroms or room.sum() == 0:
        return _rows(chrom, start, start, source)
    edges, draws, idle = np.cumsum(room), 0, 0
    # up to max_tries draws per negative, or until 3 batches in a row match no bin still open
    while need.any() and draws < max_tries * max(n, 1) and idle < 3:
        batch = int(min(max(4 * need.sum(), 1024), 1 << 16))
        draws, before = draws + batch, len(chrom)
        at = rng.integers(0, edges[-1], batch)
        which = np.searchsorted(edges, at, side="right")
        at = at - np.concatenate([[0], edges[:-1]])[which]
        for k, offset in zip(which, at, strict=True):
            c, offset = chroms[k], int(offset)
            seq = _usable(genome, windows, c, offset, offset + length, max_n)
            if not seq:
                continue
            acgt = len(seq) - seq.count("N")
            b = min(int((seq.count("G") + seq.count("C")) / max(acgt, 1) * GC_BINS), GC_BINS - 1)
            if need[b] > 0:
                need[b] -= 1
                chrom.append(c)
                start.append(offset)
                source.append(f"GC {b / GC_BINS:.2f}-{(b + 1) / GC_BINS:.2f}")
                if not need.any():
                    break
        idle = 0 if len(chrom) > before else idle + 1
    return _rows(chrom, start, np.asarray(start, np.int64) + length, source)


def _split_code(windows: Windows, chrom: str) -> int:
    if chrom in windows.split_chromosomes["test"]:
        return 2
    return 1 if chrom in windows.split_chromosomes["valid"] else 0
