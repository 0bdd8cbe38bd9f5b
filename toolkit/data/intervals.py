"""Which query intervals overlap any of a set of genomic intervals (vectorised, in memory).

Per chromosome the intervals are sorted by start with the running maximum of their ends:
a query ``[s, e)`` overlaps one exactly when an interval starting before ``e`` ends after
``s``, one ``searchsorted`` per query. A few hundred thousand peaks take a few MB.
"""

from __future__ import annotations

import numpy as np


class Intervals:
    """Sorted starts and running maximum ends of a set of intervals, by chromosome."""

    def __init__(self, chrom: np.ndarray, start: np.ndarray, end: np.ndarray):
        self._by_chrom: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        chrom = np.asarray(chrom, object)
        for name in np.unique(chrom) if len(chrom) else ():
            rows = np.flatnonzero(chrom == name)
            order = rows[np.argsort(start[rows], kind="stable")]
            self._by_chrom[name] = (
                np.asarray(start[order], np.int64),
                np.maximum.accumulate(np.asarray(end[order], np.int64)),
            )

    def overlaps(self, chrom: str, start: np.ndarray | int, end: np.ndarray | int) -> np.ndarray:
        """Whether each ``[start, end)`` on ``chrom`` overlaps an interval, shape (Q,) bool."""
        start, end = np.atleast_1d(start), np.atleast_1d(end)
        if chrom not in self._by_chrom:
            return np.zeros(len(start), bool)
        starts, max_ends = self._by_chrom[chrom]
        before = np.searchsorted(starts, end, side="left")
        hit = np.zeros(len(start), bool)
        some = before > 0
        hit[some] = max_ends[before[some] - 1] > start[some]
        return hit


def intervals(chrom: np.ndarray, start: np.ndarray, end: np.ndarray) -> Intervals:
    """Index intervals for overlap queries.

    Parameters
    ----------
    chrom : np.ndarray, shape (N,), str
    start, end : np.ndarray, shape (N,), int
        0-based, half-open.

    Returns
    -------
    Intervals
        ``.overlaps(chrom, starts, ends)`` -> (Q,) bool.
    """
    return Intervals(chrom, np.asarray(start), np.asarray(end))
