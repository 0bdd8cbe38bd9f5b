"""Peak files + a genome -> the positive windows: coordinates, labels, split (no sequences).

What ``data.generate.peaks`` makes of the peaks before any sequence is written, and what
``expact run --check`` prints (:func:`peak_windows`):

- every file is read strictly (:func:`toolkit.data.bed.bed`); a chromosome the genome lacks
  or a peak past its chromosome's end is an error naming the file and line;
- outputs: one per file (named by the mapping's key or the file's stem), or one per value of
  ``output_column`` (a 1-based BED column, e.g. 4) across the files;
- each peak's window is ``length`` nt centred on its narrowPeak summit, else on the
  interval's centre (``centre - length // 2`` to ``+ length``);
- chromosome filters: ``chromosomes`` (the ones kept; default every chromosome without
  ``_`` in its name, i.e. no ``_random``/``_alt``/``chrUn_`` contigs, and no chrM/MT/chrEBV)
  minus ``exclude_chromosomes``;
- ``off_chromosome``: a window running off its chromosome is dropped (``drop``), moved
  inside (``shift``), N-padded (``pad``) or an error (``error``); a blacklist BED drops the
  windows overlapping it;
- windows at the same place are one row; a row's label for output k is 1 when the window
  holds the summit (else the centre) of a peak of output k;
- the split is by chromosome, default :data:`toolkit.config.names.PEAK_SPLIT`;
- every window's sequence is read once (``check_sequences``): a letter other than
  A, C, G, T, N (either case) is an error naming the genome, the window and the peak's file
  and line; windows with more than ``max_n_fraction`` N are dropped; GC content is kept for
  the GC-matched background.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toolkit.config.names import OFF_CHROMOSOME, PEAK_SPLIT
from toolkit.data.bed import Peaks, bed
from toolkit.data.genome import Genome
from toolkit.data.intervals import Intervals, intervals
from toolkit.errors import InputError

SPLITS = ("train", "valid", "test")
_NOT_ACGTN = re.compile(r"[^ACGTN]")
_DEFAULT_DROPPED = re.compile(r"_|^(chr)?(M|MT|EBV)$")


@dataclass
class Windows:
    """The positive windows (N rows, K outputs), sorted by chromosome and start.

    Attributes
    ----------
    chrom : np.ndarray, shape (N,), object
    start, end : np.ndarray, shape (N,), int64
        The window (``end - start == length``; may run off the chromosome with ``pad``).
    labels : np.ndarray, shape (N, K), uint8
    split : np.ndarray, shape (N,), int8
        0 train, 1 valid, 2 test.
    source : np.ndarray, shape (N,), object
        ``file:line`` of the peak the window was made from.
    gc : np.ndarray, shape (N,), float32
        GC fraction of the A/C/G/T letters (NaN until the sequences were read).
    outputs : list of str
        The K output names.
    exclusion : Intervals
        Every peak of every file, the windows and the blacklist: where no background goes.
    split_chromosomes : dict
        ``{"valid": [...], "test": [...]}`` as used (names as the genome spells them).
    kept_chromosomes : list of str
    counts : dict
        Peaks read per file and windows dropped per reason.
    """

    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray
    labels: np.ndarray
    split: np.ndarray
    source: np.ndarray
    gc: np.ndarray
    outputs: list[str]
    exclusion: Intervals
    split_chromosomes: dict
    kept_chromosomes: list[str]
    counts: dict = field(default_factory=dict)


def peak_windows(
    peaks: str | list | dict,
    genome: Genome,
    length: int,
    output_column: int | None = None,
    chromosomes: list[str] | None = None,
    exclude_chromosomes: list[str] | None = None,
    split: dict | None = None,
    blacklist: str | None = None,
    off_chromosome: str = "drop",
    max_n_fraction: float = 0.1,
    check_sequences: bool = True,
) -> Windows:
    """Read the peak files and make the positive windows (see the module doc).

    Parameters
    ----------
    peaks : str, list of str or dict of str to str
        One file, files (outputs named by their stems) or ``{output name: file}``.
    genome : Genome
        The opened genome (:func:`toolkit.data.genome.genome`).
    length : int
        Window length L.
    output_column, chromosomes, exclude_chromosomes, split, blacklist, off_chromosome,
    max_n_fraction :
        See the module doc.
    check_sequences : bool
        Read every window (letters, N fraction, GC); False: coordinates only.

    Returns
    -------
    Windows

    Raises
    ------
    InputError
        Naming the file and the line of the first bad peak or window.
    """
    if off_chromosome not in OFF_CHROMOSOME:
        raise InputError(None, "off_chromosome", f"expected one of {OFF_CHROMOSOME}")
    files = _files(peaks)
    read = [bed(path, output_column) for path in files.values()]
    for table in read:
        _check_chromosomes(table, genome.lengths)
    outputs, out_of = _outputs(files, read, output_column)
    chrom = np.concatenate([t.chrom for t in read])
    start = np.concatenate([t.start for t in read])
    end = np.concatenate([t.end for t in read])
    point = np.concatenate(
        [np.where(t.summit >= 0, t.summit, (t.start + t.end) // 2) for t in read]
    )
    source = np.concatenate([[f"{t.path.name}:{n}" for n in t.line] for t in read]).astype(object)
    counts: dict = {"peaks": {name: int(len(t.chrom)) for name, t in zip(files, read, strict=True)}}
    kept = _kept_chromosomes(genome.lengths, chromosomes, exclude_chromosomes)
    exclusion_parts = [(chrom, start, end)]
    wstart = point - length // 2
    keep = np.isin(chrom, kept)
    counts["dropped_chromosome_filter"] = int((~keep).sum())
    wstart, keep = _off_chromosome(
        chrom, wstart, length, keep, genome.lengths, off_chromosome, source, counts
    )
    if blacklist is not None:
        black = bed(blacklist)
        exclusion_parts.append((black.chrom, black.start, black.end))
        hits = _overlapping(intervals(black.chrom, black.start, black.end), chrom, wstart, length)
        counts["dropped_blacklist"] = int((hits & keep).sum())
        keep &= ~hits
    rows = _unique_sorted(chrom, wstart, keep, list(genome.lengths))
    counts["duplicate_windows"] = int(keep.sum() - len(rows))
    w_chrom, w_start, w_source = chrom[rows], wstart[rows], source[rows]
    labels = _labels(w_chrom, w_start, length, chrom, point, out_of, len(outputs))
    split_chroms = _split_chromosomes(split, genome.lengths)
    split_of = np.zeros(len(rows), np.int8)
    split_of[np.isin(w_chrom, split_chroms["valid"])] = 1
    split_of[np.isin(w_chrom, split_chroms["test"])] = 2
    exclusion_parts.append((w_chrom, w_start, w_start + length))
    exclusion = intervals(*(np.concatenate(p) for p in zip(*exclusion_parts, strict=True)))
    windows = Windows(
        chrom=w_chrom,
        start=w_start,
        end=w_start + length,
        labels=labels,
        split=split_of,
        source=w_source,
        gc=np.full(len(rows), np.nan, np.float32),
        outputs=outputs,
        exclusion=exclusion,
        split_chromosomes=split_chroms,
        kept_chromosomes=kept,
        counts=counts,
    )
    if check_sequences:
        windows = _read_sequences(windows, genome, max_n_fraction)
    _check_splits(windows)
    return windows


def _files(peaks: str | list | dict) -> dict[str, Path]:
    """``{output name: path}``; names of a list are the files' stems (no .gz/.bed/...)."""
    if isinstance(peaks, dict):
        return {str(k): Path(v) for k, v in peaks.items()}
    paths = [Path(peaks)] if isinstance(peaks, str | os.PathLike) else [Path(p) for p in peaks]
    names = {}
    for path in paths:
        name = re.sub(r"(\.gz)?$", "", path.name)
        name = re.sub(r"\.(bed|narrowPeak|broadPeak|txt|tsv)$", "", name, flags=re.I)
        if name in names:
            raise InputError(path, None, f"two peak files named {name!r}: give them names")
        names[name] = path
    return names


def _check_chromosomes(table: Peaks, lengths: dict[str, int]) -> None:
    """Every peak's chromosome in the genome and its end inside it."""
    known = np.isin(table.chrom, list(lengths))
    if not known.all():
        row = int(np.flatnonzero(~known)[0])
        names = list(lengths)
        raise InputError(
            table.path,
            f"line {table.line[row]}",
            f"chromosome {table.chrom[row]!r} is not in the genome "
            f"(it has {len(names)}: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}); "
            "is it the same assembly?",
        )
    size = np.array([lengths[c] for c in table.chrom], np.int64)
    past = table.end > size
    if past.any():
        row = int(np.flatnonzero(past)[0])
        raise InputError(
            table.path,
            f"line {table.line[row]}",
            f"end {table.end[row]} is past the end of {table.chrom[row]} ({size[row]} nt): "
            "is it the same assembly?",
        )


def _outputs(
    files: dict[str, Path], read: list[Peaks], column: int | None
) -> tuple[list[str], np.ndarray]:
    """The output names, and each peak's output index (all files' peaks in order)."""
    if column is None:
        names = list(files)
        return names, np.concatenate(
            [np.full(len(t.chrom), k, np.int64) for k, t in enumerate(read)]
        )
    values = np.concatenate([t.name for t in read])
    names = list(dict.fromkeys(values.tolist()))
    index = {name: k for k, name in enumerate(names)}
    return names, np.array([index[v] for v in values], np.int64)


def _kept_chromosomes(
    lengths: dict[str, int], include: list[str] | None, exclude: list[str] | None
) -> list[str]:
    if include is not None:
        unknown = [c for c in include if c not in lengths]
        if unknown:
            raise InputError(
                None, "data.generate.chromosomes", f"{unknown[0]!r} is not in the genome"
            )
        kept = list(include)
    else:
        kept = [c for c in lengths if not _DEFAULT_DROPPED.search(c)]
    return [c for c in kept if c not in set(exclude or ())]


def _off_chromosome(chrom, wstart, length, keep, lengths, policy, source, counts):
    """Apply the off-chromosome policy: (window starts, rows kept)."""
    size = np.array([lengths[c] for c in chrom], np.int64)
    off = (wstart < 0) | (wstart + length > size)
    counts["off_chromosome"] = int((off & keep).sum())
    if policy == "error" and (off & keep).any():
        row = int(np.flatnonzero(off & keep)[0])
        raise InputError(
            source[row].rsplit(":", 1)[0],
            f"line {source[row].rsplit(':', 1)[1]}",
            f"the {length}-nt window {chrom[row]}:{wstart[row]}-{wstart[row] + length} runs off "
            f"{chrom[row]} ({size[row]} nt); off_chromosome: drop, shift or pad to allow it",
        )
    if policy == "drop":
        return wstart, keep & ~off
    if policy == "shift":
        short = size < length  # a chromosome shorter than a window: nowhere to move it
        counts["dropped_short_chromosome"] = int((short & keep).sum())
        return np.clip(wstart, 0, np.maximum(size - length, 0)), keep & ~short
    return wstart, keep  # pad: N beyond the ends, when the sequence is read


def _overlapping(index: Intervals, chrom, wstart, length) -> np.ndarray:
    hit = np.zeros(len(chrom), bool)
    for name in np.unique(chrom):
        rows = np.flatnonzero(chrom == name)
        hit[rows] = index.overlaps(name, wstart[rows], wstart[rows] + length)
    return hit


def _unique_sorted(chrom, wstart, keep, order: list[str]) -> np.ndarray:
    """Rows of the kept windows, one per place, sorted by genome order and start."""
    rank = {name: k for k, name in enumerate(order)}
    rows = np.flatnonzero(keep)
    chrom_rank = np.array([rank[c] for c in chrom[rows]], np.int64)
    order_rows = np.lexsort((rows, wstart[rows], chrom_rank))
    rows, chrom_rank = rows[order_rows], chrom_rank[order_rows]
    first = np.ones(len(rows), bool)
    first[1:] = (chrom_rank[1:] != chrom_rank[:-1]) | (wstart[rows[1:]] != wstart[rows[:-1]])
    return rows[first]


def _labels(w_chrom, w_start, length, chrom, point, out_of, n_outputs) -> np.ndarray:
    """(N, K) uint8: window holds the summit (or centre) of a peak of output k."""
    labels = np.zeros((len(w_chrom), n_outputs), np.uint8)
    for k in range(n_outputs):
        mine = out_of == k
        index = intervals(chrom[mine], point[mine], point[mine] + 1)
        for name in np.unique(w_chrom):
            rows = np.flatnonzero(w_chrom == name)
            labels[rows, k] = index.overlaps(name, w_start[rows], w_start[rows] + length)
    return labels


def _split_chromosomes(split: dict | None, lengths: dict[str, int]) -> dict[str, list[str]]:
    """Valid and test chromosomes as the genome names them (``chr8`` or ``8``)."""
    split = dict(PEAK_SPLIT if split is None else split)
    if set(split) - {"valid_chromosomes", "test_chromosomes"}:
        raise InputError(
            None,
            "data.generate.split",
            "peaks are split by chromosome: {valid_chromosomes: [...], test_chromosomes: [...]}",
        )
    out = {}
    for key in ("valid", "test"):
        names = []
        for name in split.get(f"{key}_chromosomes") or []:
            bare = name[3:] if name.startswith("chr") else name
            spelled = next((n for n in (name, bare, f"chr{bare}") if n in lengths), None)
            if spelled is None:
                raise InputError(
                    None, f"data.generate.split.{key}_chromosomes", f"{name!r} is not in the genome"
                )
            names.append(spelled)
        out[key] = names
    return out


def _read_sequences(windows: Windows, genome: Genome, max_n_fraction: float) -> Windows:
    """Read every window: letters checked, too-N windows dropped, GC content kept."""
    keep = np.ones(len(windows.chrom), bool)
    for row in range(len(windows.chrom)):
        seq = genome.window(windows.chrom[row], int(windows.start[row]), int(windows.end[row]))
        bad = _NOT_ACGTN.search(seq)
        if bad:
            file, line = windows.source[row].rsplit(":", 1)
            position = int(windows.start[row]) + bad.start()
            raise InputError(
                genome.path,
                f"{windows.chrom[row]}:{position}",
                f"letter {bad.group()!r} in the window {windows.chrom[row]}:{windows.start[row]}"
                f"-{windows.end[row]} of {file} line {line}: expected A, C, G, T or N",
            )
        n = seq.count("N")
        if n > max_n_fraction * len(seq):
            keep[row] = False
            continue
        acgt = len(seq) - n
        windows.gc[row] = (seq.count("G") + seq.count("C")) / acgt if acgt else 0.5
    windows.counts["dropped_n_fraction"] = int((~keep).sum())
    for name in ("chrom", "start", "end", "labels", "split", "source", "gc"):
        setattr(windows, name, getattr(windows, name)[keep])
    return windows


def _check_splits(windows: Windows) -> None:
    for code, name in enumerate(SPLITS):
        if not (windows.split == code).any():
            chroms = windows.split_chromosomes.get(name, "the other chromosomes")
            raise InputError(
                None,
                "data.generate.split",
                f"no window in the {name} split (chromosomes {chroms}); "
                "set split: {valid_chromosomes: [...], test_chromosomes: [...]}",
            )
