"""JASPAR motif source for the synthetic data generators (spec §1.1 "Setup", §1.2).

Two sources give the same motifs:

- :func:`read_jaspar_pfm` parses a JASPAR PFM text file such as the paper's
  ``pfm_vertebrates.txt`` (``>ID\\tNAME`` then 4 rows ``X  [ n n n ]`` for A, C, G, T).
- :func:`jaspar_from_pyjaspar` reads the JASPAR release bundled with the offline
  ``pyjaspar`` package (CORE collection, vertebrates, latest version of each matrix).

Checked for pyjaspar 4.0.0, release ``JASPAR2016``: it holds exactly the 519 matrix IDs of
``pfm_vertebrates.txt``, with identical counts and names for every one of them (so identical
PWMs, the 12 Task 1 core TFs included). Only the order differs: pyjaspar returns database
order, the file is sorted by matrix ID. :func:`jaspar_from_pyjaspar` sorts by ID, which makes
the two lists equal element by element; that matters because Task 3 draws background motifs
by position in this list.

:func:`motif_lookup` finds a motif by name with the original's ``motif_names.index(name)``
semantics: the first occurrence wins.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toolkit.config.schema import require_input_file
from toolkit.errors import InputError

_ROW_LETTERS = ("A", "C", "G", "T")
# "A  [ 287  234 ]" and the file's "A  [1706  137 ]" (no space after the bracket) both occur.
_ROW_RE = re.compile(r"^\s*([ACGT])\s*\[(.*)\]\s*$")


@dataclass(frozen=True, eq=False)
class JasparMotif:
    """One JASPAR matrix.

    Attributes
    ----------
    matrix_id : str
        JASPAR matrix ID with version, e.g. ``"MA0079.3"``.
    name : str
        TF name as the source spells it (case kept), e.g. ``"SP1"``.
    pwm : np.ndarray, shape (4, w), float64
        Column-normalised counts; rows A, C, G, T.
    source : str
        Where the motif came from (file name or ``pyjaspar:<release>``), for error messages.
    """

    matrix_id: str
    name: str
    pwm: np.ndarray
    source: str = field(default="", compare=False)

    @property
    def width(self) -> int:
        """Number of positions ``w``."""
        return int(self.pwm.shape[1])


def _normalise(counts: np.ndarray) -> np.ndarray:
    """Counts (4, w) -> PWM (4, w), computed exactly as the original generator did.

    The original divides by ``np.outer(np.ones(4), np.sum(pfm, axis=0))``; the same float
    operations keep the PWMs, and so the sampled sequences, bit-identical.
    """
    counts = np.asarray(counts, dtype=np.float64)
    sum_pfm = np.sum(counts, axis=0)
    return counts / np.outer(np.ones(4), sum_pfm)


def read_jaspar_pfm(path: str | os.PathLike) -> list[JasparMotif]:
    """Parse a JASPAR PFM text file into column-normalised PWMs.

    Each record is a header ``>ID<whitespace>NAME`` followed by four rows ``A [..]``,
    ``C [..]``, ``G [..]``, ``T [..]`` in that order; blank lines between records are ignored.
    The name is the 2nd whitespace token of the header, as in the original parser.

    Parameters
    ----------
    path : str or os.PathLike
        The PFM file (e.g. ``pfm_vertebrates.txt``, 519 motifs).

    Returns
    -------
    list of JasparMotif
        In file order; each ``pwm`` has shape (4, w).

    Raises
    ------
    InputError
        If the file is missing or empty, or a record is malformed (the message names the file
        and the line).
    """
    path = Path(path)
    source = path.name
    require_input_file(path, "JASPAR PFM file")
    lines = path.read_text().splitlines()

    motifs: list[JasparMotif] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        lineno = i + 1
        if not line.startswith(">"):
            raise InputError(
                path, f"line {lineno}", f"expected a header '>ID NAME', found {line[:60]!r}"
            )
        tokens = line[1:].split()
        if len(tokens) < 2:
            raise InputError(
                path, f"line {lineno}", f"header needs an ID and a name, found {line[:60]!r}"
            )
        matrix_id, name = tokens[0], tokens[1]
        rows = []
        for k, letter in enumerate(_ROW_LETTERS):
            row_no = i + 1 + k
            if row_no >= len(lines):
                raise InputError(
                    path, f"line {row_no + 1}", f"motif {matrix_id}: file ends before row {letter}"
                )
            match = _ROW_RE.match(lines[row_no])
            if match is None or match.group(1) != letter:
                raise InputError(
                    path,
                    f"line {row_no + 1}",
                    f"motif {matrix_id}: expected row '{letter}  [ n n ... ]', "
                    f"found {lines[row_no][:60]!r}",
                )
            try:
                values = [float(v) for v in match.group(2).split()]
            except ValueError as err:
                raise InputError(
                    path, f"line {row_no + 1}", f"motif {matrix_id}: non-numeric count ({err})"
                ) from None
            rows.append(values)
        widths = {len(r) for r in rows}
        if len(widths) != 1 or 0 in widths:
            raise InputError(
                path,
                f"line {lineno}",
                f"motif {matrix_id}: rows A,C,G,T must have the same non-zero width, "
                f"got {[len(r) for r in rows]}",
            )
        counts = np.asarray(rows, dtype=np.float64)
        if not np.all(np.isfinite(counts)) or np.any(counts < 0):
            raise InputError(
                path, f"line {lineno}", f"motif {matrix_id}: counts must be finite and >= 0"
            )
        if np.any(counts.sum(axis=0) <= 0):
            raise InputError(
                path, f"line {lineno}", f"motif {matrix_id}: a column has no counts at all"
            )
        motifs.append(JasparMotif(matrix_id, name, _normalise(counts), source))
        i += 5
    if not motifs:
        raise InputError(path, None, "no motifs found (expected '>ID NAME' headers)")
    return motifs


def _id_key(matrix_id: str) -> tuple[str, int, int]:
    """Sort key for 'MA0079.3': collection prefix, base number, version."""
    base, _, version = matrix_id.partition(".")
    digits = re.sub(r"\D", "", base)
    return (re.sub(r"\d", "", base), int(digits or 0), int(version or 0))


def pyjaspar_db(release: str):
    """pyjaspar's offline database of ``release`` (a ``pyjaspar.jaspardb``).

    Raises
    ------
    InputError
        If pyjaspar is not installed or does not ship ``release`` (the error names
        ``pyjaspar:<release>`` and the field ``release``).
    """
    source = f"pyjaspar:{release}"
    try:
        import pyjaspar
    except ImportError:
        raise InputError(
            source, "release", "pyjaspar is not installed (pip install 'expact[jaspar]')"
        ) from None
    releases = getattr(pyjaspar, "jaspar_releases", {})
    if release not in releases:
        raise InputError(
            source, "release", f"unknown JASPAR release; pyjaspar ships {sorted(releases)}"
        )
    return pyjaspar.jaspardb(release=release)


def jaspar_from_pyjaspar(
    release: str = "JASPAR2016",
    collection: str = "CORE",
    tax_group: str = "vertebrates",
) -> list[JasparMotif]:
    """The JASPAR motifs bundled with the offline ``pyjaspar`` package.

    Takes the latest version of each matrix (pyjaspar's default), sorted by matrix ID so
    that the list lines up with ``pfm_vertebrates.txt`` element by element. For
    ``JASPAR2016``/CORE/vertebrates this is the paper's 519-motif set, with identical counts
    (checked against pyjaspar 4.0.0).

    Parameters
    ----------
    release : str
        A release pyjaspar ships, e.g. ``"JASPAR2016"``.
    collection : str
        JASPAR collection.
    tax_group : str
        Taxonomic group.

    Returns
    -------
    list of JasparMotif
        Sorted by matrix ID; each ``pwm`` has shape (4, w).

    Raises
    ------
    InputError
        If pyjaspar is not installed, the release is unknown, or it returns no motifs.
    """
    source = f"pyjaspar:{release}"
    fetched = pyjaspar_db(release).fetch_motifs(collection=collection, tax_group=[tax_group])
    motifs = []
    for m in fetched:
        counts = np.asarray([m.counts[b] for b in _ROW_LETTERS], dtype=np.float64)
        motifs.append(JasparMotif(m.matrix_id, m.name, _normalise(counts), source))
    if not motifs:
        raise InputError(source, "collection", f"no {collection}/{tax_group} motifs found")
    motifs.sort(key=lambda m: _id_key(m.matrix_id))
    return motifs


def motif_lookup(
    motifs: Sequence[JasparMotif], name: str, source: str | os.PathLike | None = None
) -> JasparMotif:
    """The first motif called ``name`` (the original's ``motif_names.index(name)``).

    Matching is exact and case-sensitive, as in the original (``"Gabpa"`` is not ``"GABPA"``).

    Parameters
    ----------
    motifs : sequence of JasparMotif
        E.g. from :func:`read_jaspar_pfm`.
    name : str
        TF name.
    source : str or os.PathLike, optional
        Named in the error; defaults to the motifs' own ``source``.

    Returns
    -------
    JasparMotif

    Raises
    ------
    InputError
        If no motif has that name; the message lists close names.
    """
    for motif in motifs:
        if motif.name == name:
            return motif
    if source is None:
        source = motifs[0].source if motifs else None
    names = [m.name for m in motifs]
    lowered = {n.lower(): n for n in reversed(names)}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=5, cutoff=0.6)
    hint = f"; close names: {[lowered[c] for c in close]}" if close else ""
    raise InputError(
        source, "core_names", f"no motif named {name!r} among {len(names)} motifs{hint}"
    )
