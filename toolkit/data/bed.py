"""Peak files (BED3+ and narrowPeak, gzipped or not), read line by line and strictly.

Every problem is an :class:`~toolkit.errors.InputError` naming the file and the line, raised
while reading, before any compute: a line of fewer than three tab- or space-separated
fields, a non-integer or negative start or end, start >= end, a narrowPeak summit (column
10, an offset from the start; -1: none) outside its interval, a named column the line does
not have, a gzip file that cannot be decompressed. ``track``, ``browser`` and ``#`` lines
and blank lines are skipped. Whether each chromosome is in the genome is the caller's check
(:mod:`toolkit.data.peaks`), which knows the genome; it has the line of every peak.
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit.errors import InputError

#: narrowPeak's summit column (1-based, as in the UCSC/ENCODE format description)
SUMMIT_COLUMN = 10


@dataclass
class Peaks:
    """The intervals of one file, in file order (N peaks).

    Attributes
    ----------
    path : Path
    chrom : np.ndarray, shape (N,), object (str)
    start, end : np.ndarray, shape (N,), int64
        0-based, half-open (BED).
    summit : np.ndarray, shape (N,), int64
        Absolute summit position, or -1 where the file has none.
    line : np.ndarray, shape (N,), int64
        1-based line of each peak in the file.
    name : np.ndarray, shape (N,), object (str), or None
        The values of the named column (``column``), when one was asked for.
    """

    path: Path
    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray
    summit: np.ndarray
    line: np.ndarray
    name: np.ndarray | None = None


def bed(path: str | os.PathLike, column: int | None = None) -> Peaks:
    """Read and check a BED3+/narrowPeak file (``.gz``: gzip-compressed).

    Parameters
    ----------
    path : str or os.PathLike
        The peak file.
    column : int, optional
        A 1-based column whose values name each peak's output (e.g. 4, BED's name).

    Returns
    -------
    Peaks

    Raises
    ------
    InputError
        See the module doc.
    """
    path = Path(path)
    chrom, start, end, summit, lines, names = [], [], [], [], [], []
    number = 0
    try:
        with _open(path) as handle:
            for number, raw in enumerate(handle, start=1):
                fields = raw.split("\t") if "\t" in raw else raw.split()
                fields = [f.strip() for f in fields]
                if not fields or not fields[0] or fields[0].startswith(("#", "track", "browser")):
                    continue
                c, s, e, p = _interval(fields, path, number)
                if column is not None:
                    if len(fields) < column or not fields[column - 1]:
                        raise InputError(
                            path, f"line {number}", f"no column {column} (the output's name)"
                        )
                    names.append(fields[column - 1])
                chrom.append(c)
                start.append(s)
                end.append(e)
                summit.append(p)
                lines.append(number)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as err:
        raise InputError(
            path,
            f"line {number + 1}",
            f"cannot be read as a {_kind(path)} peak file ({type(err).__name__}: {err})",
        ) from None
    if not chrom:
        raise InputError(path, None, "no peak (an empty file?)")
    return Peaks(
        path=path,
        chrom=np.asarray(chrom, object),
        start=np.asarray(start, np.int64),
        end=np.asarray(end, np.int64),
        summit=np.asarray(summit, np.int64),
        line=np.asarray(lines, np.int64),
        name=np.asarray(names, object) if column is not None else None,
    )


def _open(path: Path):
    if not path.is_file():
        raise InputError(path, None, "peak file not found")
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.open(path, "rt")
    if path.suffix == ".gz":
        raise InputError(path, None, "named .gz but not gzip-compressed (unreadable gzip)")
    return open(path)


def _kind(path: Path) -> str:
    return "gzip-compressed" if path.suffix == ".gz" else "text"


def _interval(fields: list[str], path: Path, number: int) -> tuple[str, int, int, int]:
    """(chrom, start, end, absolute summit or -1) of one line, checked."""
    if len(fields) < 3:
        raise InputError(
            path, f"line {number}", f"{len(fields)} field(s); BED needs chrom, start and end"
        )
    start, end = (
        _coordinate(fields[k], name, path, number) for k, name in ((1, "start"), (2, "end"))
    )
    if start >= end:
        raise InputError(
            path, f"line {number}", f"start {start} >= end {end} (BED intervals are start < end)"
        )
    summit = -1
    if len(fields) >= SUMMIT_COLUMN and fields[SUMMIT_COLUMN - 1] not in ("", "-1", "."):
        offset = _coordinate(fields[SUMMIT_COLUMN - 1], "summit", path, number)
        if offset >= end - start:
            raise InputError(
                path,
                f"line {number}",
                f"summit offset {offset} outside the interval {start}-{end} "
                f"(narrowPeak column 10 counts from the start; expected 0..{end - start - 1})",
            )
        summit = start + offset
    return fields[0], start, end, summit


def _coordinate(text: str, what: str, path: Path, number: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InputError(
            path, f"line {number}", f"{what} {text!r} is not an integer coordinate"
        ) from None
    if value < 0:
        raise InputError(path, f"line {number}", f"negative {what} {value}")
    return value
