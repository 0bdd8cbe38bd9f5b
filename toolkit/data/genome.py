"""A reference genome FASTA, read by random access through its ``.fai`` index (pyfaidx).

Nothing of the genome is held in memory but the index: every window is read from disk when
it is asked for. The index is the genome's ``<genome>.fai`` when there is one (rebuilt when
older than the FASTA); else it is built once, beside the genome when that folder is
writable, otherwise in ``index_dir`` (the sweep's ``<results>/data``). Plain or
bgzip-compressed FASTA (pyfaidx's random access; plain gzip has none).

Problems are :class:`~toolkit.errors.InputError`, naming the file and the line: a missing
file, a gzip that is not bgzip, two records of the same name (both lines), FASTA lines of
uneven length inside a record (what a ``.fai`` cannot index).
"""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.errors import InputError


class Genome:
    """Random access to a genome FASTA through pyfaidx.

    Attributes
    ----------
    path : Path
        The FASTA file.
    index : Path
        The ``.fai`` file used.
    lengths : dict of str to int
        Every chromosome's length, in file order.
    """

    def __init__(self, path: Path, index: Path, faidx):
        self.path, self.index, self._faidx = path, index, faidx
        self.lengths = {name: int(record.rlen) for name, record in faidx.index.items()}

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """The uppercase sequence of ``chrom:start-end`` (0-based, half-open, inside it)."""
        return self._faidx.from_file(chrom, start + 1, end).upper()  # 1-based, inclusive

    def window(self, chrom: str, start: int, end: int) -> str:
        """``chrom:start-end`` uppercase, N beyond the chromosome's ends (may run off it)."""
        left, right = max(start, 0), min(end, self.lengths[chrom])
        seq = self.fetch(chrom, left, right) if right > left else ""
        return "N" * (left - start) + seq + "N" * (end - right)

    def close(self) -> None:
        """Close the FASTA file."""
        self._faidx.close()

    def __enter__(self) -> Genome:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def genome(path: str | os.PathLike, index_dir: str | os.PathLike | None = None) -> Genome:
    """Open a genome FASTA for random access, building its ``.fai`` index if missing.

    Parameters
    ----------
    path : str or os.PathLike
        The genome FASTA (plain or bgzip).
    index_dir : str or os.PathLike, optional
        Where the index is built (or found) when the genome's folder is not writable.

    Returns
    -------
    Genome

    Raises
    ------
    InputError
        See the module doc.
    """
    import pyfaidx

    path = Path(path)
    if not path.is_file():
        raise InputError(path, None, "genome FASTA not found")
    index = _index_path(path, index_dir)
    index.parent.mkdir(parents=True, exist_ok=True)
    try:
        faidx = pyfaidx.Faidx(str(path), indexname=str(index), as_raw=True)
    except ValueError as err:
        if "Duplicate key" in str(err):
            raise _duplicate(path) from None
        raise InputError(path, None, f"cannot be indexed as FASTA ({err})") from None
    except pyfaidx.UnsupportedCompressionFormat:
        raise InputError(
            path, None, "gzip without bgzip blocks: recompress with `bgzip` (or gunzip it)"
        ) from None
    except (pyfaidx.FastaIndexingError, OSError) as err:
        raise InputError(path, None, f"cannot be indexed as FASTA ({err})") from None
    return Genome(path, index, faidx)


def _index_path(path: Path, index_dir: str | os.PathLike | None) -> Path:
    """The genome's own ``.fai`` if usable, else one in ``index_dir``."""
    beside = path.with_name(path.name + ".fai")
    if beside.is_file() and beside.stat().st_mtime >= path.stat().st_mtime:
        return beside
    if os.access(path.parent, os.W_OK) or index_dir is None:
        return beside
    return Path(index_dir) / (path.name + ".fai")


def _duplicate(path: Path) -> InputError:
    """The error for a duplicate record name, with the lines of both headers."""
    import gzip

    seen: dict[str, int] = {}
    with open(path, "rb") as probe:
        opener = gzip.open if probe.read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.startswith(b">"):
                name = line[1:].split(maxsplit=1)[0].decode() if line[1:].split() else ""
                if name in seen:
                    return InputError(
                        path,
                        f"line {number}",
                        f"duplicate chromosome name {name!r} (first at line {seen[name]})",
                    )
                seen[name] = number
    return InputError(path, None, "duplicate chromosome names")
