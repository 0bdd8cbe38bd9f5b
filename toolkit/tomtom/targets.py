"""The motif-target filter of users' own data: motifs with little information per column out.

Tomtom's p-value of a (query, target) pair sums per-column scores whose null distribution is
the query column scored against every column of the target database. A database with few
low-information columns (JASPAR 2022 and later: the extended CTCF motifs MA1929/MA1930,
31-35 columns with about half of them below 0.5 bits, ZNF354A MA1978, GATA1::TAL1 MA0140.3)
makes those few the best place for a low-information query column to land, so a noisy
first-layer filter (an untrained model's, a relu filter, even Dirichlet noise) sums many
"better than the null" columns against them and reaches E < 0.1: 24 of 24 trained relu
filters of the IRF1 set "matched" JASPAR 2024 CORE vertebrates, 21 of them best-hitting the
extended CTCF motifs. Leaving out the targets whose mean information per column is below
1 bit (44 of JASPAR 2024's 879 motifs) brings every noisy query set measured to 0-5 of 24,
while the exponential filters keep their IRF hits (docs/reproduction/findings.md, finding
9; docs/motif_matching.md).

:func:`filter_targets` writes the kept motifs of a MEME file verbatim (their ``nsites``,
hence Tomtom's pseudocounts, unchanged) and says what it left out.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toolkit.errors import InputError
from toolkit.files import atomic_write_text
from toolkit.filters.information import information
from toolkit.meme_io import MemeFile, read_meme_file

__all__ = ["TargetSet", "filter_targets", "mean_information", "target_set"]

_MOTIF_LINE = re.compile(r"(?m)^(?=MOTIF[ \t])")


def mean_information(ppm: np.ndarray) -> float:
    """Mean information content per column of a PPM, in bits (uniform background).

    Column information is :func:`toolkit.filters.information.information`, the formula of
    the filter clipping (:func:`toolkit.filters.clip`).

    Parameters
    ----------
    ppm : np.ndarray, shape (L, 4)

    Returns
    -------
    float
        Between 0 (uniform columns) and 2 (one letter per column).
    """
    return float(np.mean(information(ppm)))


@dataclass(frozen=True)
class TargetSet:
    """A Tomtom target database after the filter.

    Attributes
    ----------
    source : str
        The MEME file the motifs came from.
    path : str
        The file Tomtom reads: ``source`` itself when nothing was left out.
    n_motifs : int
        Motifs in ``source``.
    min_mean_ic : float
        The filter: motifs with a lower mean information per column are left out (0: none).
    dropped : list of str
        ``"ID name"`` of each motif left out, in file order.
    """

    source: str
    path: str
    n_motifs: int
    min_mean_ic: float
    dropped: list[str] = field(default_factory=list)

    @property
    def n_kept(self) -> int:
        """Motifs Tomtom compares the filters with."""
        return self.n_motifs - len(self.dropped)

    def to_dict(self) -> dict:
        """The record's ``motif_db`` values (JSON types)."""
        return {
            "source": self.source,
            "path": self.path,
            "n_motifs": self.n_motifs,
            "min_mean_ic": self.min_mean_ic,
            "n_kept": self.n_kept,
            "dropped": list(self.dropped),
        }


def _dropped(meme: MemeFile, min_mean_ic: float) -> list[str]:
    return [
        f"{m.id} {m.alt}" if m.alt else m.id
        for m in meme.motifs
        if min_mean_ic > 0 and mean_information(m.ppm) < min_mean_ic
    ]


def target_set(source: str | os.PathLike, min_mean_ic: float) -> TargetSet:
    """What :func:`filter_targets` would keep of ``source``, without writing anything.

    Parameters
    ----------
    source : str or os.PathLike
        A MEME motif file.
    min_mean_ic : float
        Bits per column; 0 keeps every motif.

    Returns
    -------
    TargetSet
        ``path`` is ``source``.
    """
    meme = read_meme_file(source)
    dropped = _dropped(meme, min_mean_ic)
    return TargetSet(str(source), str(source), len(meme.motifs), float(min_mean_ic), dropped)


def filter_targets(
    source: str | os.PathLike, out: str | os.PathLike, min_mean_ic: float
) -> TargetSet:
    """Write the motifs of ``source`` with a mean information of at least ``min_mean_ic``.

    The kept motifs' text is copied unchanged (header, ``nsites``, URL lines), so Tomtom
    scores each of them exactly as in ``source``; only the database around them (and so
    the null distribution of column scores and the E-value's motif count) changes.

    Parameters
    ----------
    source : str or os.PathLike
        A MEME motif file (e.g. JASPAR 2024 CORE vertebrates).
    out : str or os.PathLike
        The filtered file, written atomically; not written when nothing is left out.
    min_mean_ic : float
        Bits per column, in [0, 2]; 0 keeps every motif.

    Returns
    -------
    TargetSet
        ``path`` is ``out``, or ``source`` when every motif was kept.

    Raises
    ------
    InputError
        If ``min_mean_ic`` is outside [0, 2], ``source`` is not a MEME file, or no motif is
        left (the message says which threshold to lower).
    """
    if isinstance(min_mean_ic, bool) or not 0.0 <= float(min_mean_ic) <= 2.0:
        raise InputError(None, "min_mean_ic", f"expected bits in [0, 2], got {min_mean_ic!r}")
    chosen = target_set(source, min_mean_ic)
    if not chosen.dropped:
        return chosen
    if chosen.n_kept == 0:
        raise InputError(
            source,
            "motifs.min_mean_ic",
            f"no motif of {chosen.n_motifs} has a mean information of {min_mean_ic} bits per "
            "column or more; lower motifs.min_mean_ic (0 keeps every motif)",
        )
    head, *blocks = _MOTIF_LINE.split(Path(source).read_text())
    if len(blocks) != chosen.n_motifs:  # read_meme_file accepted it, so this is a bug
        raise InputError(source, None, f"{len(blocks)} MOTIF lines for {chosen.n_motifs} motifs")
    gone = {d.split()[0] for d in chosen.dropped}
    kept = [b for b in blocks if b.split()[1] not in gone]
    atomic_write_text(out, head + "".join(kept))
    return TargetSet(str(source), str(out), chosen.n_motifs, float(min_mean_ic), chosen.dropped)
