"""Labels that can be learned: per output column, both classes in every split.

A binary output column whose training split holds a single class cannot be learned, and one
whose validation or test split lacks positives or negatives has no AUROC/AUPR there (early
stopping on ``val_auroc`` and the test metrics come out ``nan``). :func:`check_labels` finds
both before any compute, on every data route, from the label arrays of each split:

- the HDF5 layout (``data.path``) and every generated data set, through
  :func:`toolkit.config.inputs.check_data_file`;
- a FASTA file + label table (``data.generate``), split exactly as the import will split it
  (:func:`toolkit.data.sequences.split_rows`), before anything is written;
- any other route that makes labels (e.g. peaks + genome): call
  ``check_labels({"train": y_train, "valid": y_valid, "test": y_test}, source, names)``
  with the labels of the split the training will use, before writing the data set.

Rules, per column whose values are all 0 or 1 (other columns, e.g. a regression target,
are reported and skip the class checks):

- **error** (:class:`~toolkit.errors.InputError`, naming the file, the column and the
  split, with the counts and the fix): a split with no positive or no negative;
- **warning** (a ``logging`` warning of this module, shown on stderr by ``expact``): the
  rarer class of a column is under :data:`MIN_CLASS_FRACTION` (1 %) of its sequences (all
  splits together), with the counts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from toolkit.errors import InputError

__all__ = ["MIN_CLASS_FRACTION", "LabelCounts", "check_labels"]

log = logging.getLogger(__name__)

#: A binary column whose positives (or negatives) are under this fraction of its sequences
#: (all splits together) is extremely imbalanced: a warning stating the counts (not an error:
#: it can still be learned).
MIN_CLASS_FRACTION = 0.01

#: ``--check`` lists the counts of at most this many columns (the most imbalanced first).
MAX_COLUMNS_LISTED = 24

_SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class LabelCounts:
    """Positives and negatives per split and output column of a checked label set.

    Attributes
    ----------
    source : str
        The file the labels come from.
    names : list of str
        The output columns' names.
    counts : dict
        ``{split: (positives (K,), negatives (K,))}``, int arrays, in split order.
    binary : np.ndarray, shape (K,), bool
        Which columns hold only 0 and 1 (the class checks apply to these).
    warnings : list of str
        The imbalance warnings (also logged).
    """

    source: str
    names: list[str]
    counts: dict[str, tuple[np.ndarray, np.ndarray]]
    binary: np.ndarray
    warnings: list[str]

    def column(self, k: int) -> str:
        """One column's counts, e.g. ``"IRF1: train 812+/2301-, valid 90+/256-, ..."``."""
        return f"{self.names[k]}: {self.per_split(k)}"

    def per_split(self, k: int) -> str:
        """Column ``k``'s counts per split, e.g. ``"train 812+/2301-, valid 90+/256-, ..."``."""
        if not self.binary[k]:
            return "not 0/1 (class checks skipped)"
        return ", ".join(f"{s} {int(p[k])}+/{int(n[k])}-" for s, (p, n) in self.counts.items())

    def lines(self) -> list[str]:
        """Per-column counts for ``expact run --check`` (the most imbalanced columns first
        when there are more than :data:`MAX_COLUMNS_LISTED`)."""
        k = len(self.names)
        order = list(range(k))
        if k > MAX_COLUMNS_LISTED:
            order = sorted(order, key=self._minority_fraction)[:MAX_COLUMNS_LISTED]
        lines = [f"labels {self.source} (positives+/negatives- per split):"]
        lines += [f"  {self.column(i)}" for i in order]
        if k > MAX_COLUMNS_LISTED:
            lines.append(f"  ... {k - MAX_COLUMNS_LISTED} more column(s), all less imbalanced")
        return lines

    def _minority_fraction(self, k: int) -> float:
        """The rarer class's share of column ``k`` over all splits (1 when not 0/1)."""
        if not self.binary[k]:
            return 1.0
        p = sum(int(c[0][k]) for c in self.counts.values())
        n = sum(int(c[1][k]) for c in self.counts.values())
        return min(p, n) / max(p + n, 1)


def check_labels(
    labels: Mapping[str, np.ndarray],
    source: str | os.PathLike,
    names: Sequence[str] | None = None,
    strict: bool = True,
) -> LabelCounts:
    """Check that every binary output column can be learned and scored; count its classes.

    Parameters
    ----------
    labels : mapping of str to np.ndarray
        The labels of each split the training will use, ``{"train": y, "valid": y, "test":
        y}``, each (N, K) or (N,); splits absent from the mapping are not checked.
    source : str or os.PathLike
        The file named in the messages (the data set, or the label table it comes from).
    names : sequence of str, optional
        The columns' names (default ``column 0``, ``column 1``, ...).
    strict : bool
        True (users' data, every route): a column without both classes in any split is an
        error. False (the paper's generated multi-label sets, whose small test sets may
        leave a rare TF out of a split): in a set of several columns, a validation or test
        split without both classes in a column is a warning instead (that column's AUROC is
        nan and left out of the mean over columns); the training split, and every split of
        a single-column set, stay errors.

    Returns
    -------
    LabelCounts
        Per split and column, positives and negatives; the warnings given.

    Raises
    ------
    InputError
        A binary column with no positive or no negative in a split, naming the file, the
        column, the split, the counts and the fix (further such columns are listed).
    """
    source = str(source)
    arrays = {s: _as_2d(labels[s]) for s in _SPLITS if s in labels}
    arrays |= {s: _as_2d(y) for s, y in labels.items() if s not in arrays}
    widths = {s: y.shape[1] for s, y in arrays.items()}
    if len(set(widths.values())) > 1:
        raise InputError(source, "labels", f"splits differ in their label columns: {widths}")
    k = next(iter(widths.values()), 0)
    if names is None or len(names) != k:
        names = [f"column {i}" for i in range(k)]
    names = [str(n) for n in names]
    binary = np.ones(k, bool)
    for y in arrays.values():
        binary &= ((y == 0) | (y == 1)).all(axis=0)
    counts = {
        s: ((y == 1).sum(axis=0).astype(int), (y == 0).sum(axis=0).astype(int))
        for s, y in arrays.items()
    }
    result = LabelCounts(source, names, counts, binary, [])
    _raise_unlearnable(result, strict)
    for column in np.flatnonzero(binary):
        fraction = result._minority_fraction(column)
        if fraction < MIN_CLASS_FRACTION:
            p = sum(int(c[0][column]) for c in counts.values())
            n = sum(int(c[1][column]) for c in counts.values())
            rare = "positives" if p <= n else "negatives"
            result.warnings.append(
                f"{source}: column {names[column]!r} is extremely imbalanced: {min(p, n)} "
                f"{rare} of {p + n} sequences ({fraction:.2%}, under {MIN_CLASS_FRACTION:.0%}; "
                f"{result.per_split(column)}); it trains, but its AUROC/AUPR "
                f"rest on few {rare}: add {rare} where you can"
            )
    for line in result.warnings:
        log.warning(line)
    return result


def _as_2d(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    return y.reshape(len(y), -1)


def _raise_unlearnable(result: LabelCounts, strict: bool) -> None:
    """The first column and split without both classes, as an InputError with its fix
    (with ``strict=False``, see :func:`check_labels`, some are warnings instead)."""
    bad = [
        (column, split)
        for column in np.flatnonzero(result.binary)
        for split, (p, n) in result.counts.items()
        if p[column] == 0 or n[column] == 0
    ]
    if not strict and len(result.names) > 1:
        for column, split in [(c, s) for c, s in bad if s != "train"]:
            result.warnings.append(
                f"{result.source}: column {result.names[column]!r} has no "
                f"{'positive' if result.counts[split][0][column] == 0 else 'negative'} in the "
                f"{split} split ({result.per_split(column)}): its {split} AUROC/AUPR are nan and "
                "left out of the mean over columns"
            )
        bad = [(c, s) for c, s in bad if s == "train"]
    if not bad:
        return
    column, split = bad[0]
    p, n = (int(a[column]) for a in result.counts[split])
    name = result.names[column]
    total_p = sum(int(c[0][column]) for c in result.counts.values())
    total_n = sum(int(c[1][column]) for c in result.counts.values())
    missing = "positive" if p == 0 else "negative"
    why = _WHY.get(split, "its AUROC/AUPR are undefined")
    counts = result.per_split(column)
    if total_p and total_n:
        fix = (
            f"the column has {total_p}+/{total_n}- in all ({counts}). Fix: add {missing}s, or "
            "split otherwise (larger valid/test fractions, another seed, other chromosomes)"
        )
    else:
        fix = (
            f"every one of its {total_p + total_n} sequences is {'positive' if p else 'negative'}"
            f" ({counts}). Fix: add {missing}s (sequences labelled {int(missing == 'positive')}"
            f" in {name!r})"
            + (", or use `background:` (peaks + genome input) to have them made" if p else "")
        )
    others = [f"{result.names[c]!r} in {s}" for c, s in bad[1:] if result.names[c] != name]
    more = f". Also without both classes: {', '.join(others[:5])}" if others else ""
    more += " ..." if len(others) > 5 else ""
    raise InputError(
        result.source,
        f"column {name!r}, {split} split",
        f"no {missing} ({p} positive(s), {n} negative(s)): {why}; {fix}{more}",
    )


_WHY = {
    "train": "a single class cannot be learned",
    "valid": "validation AUROC/AUPR are undefined (early stopping and the learning-rate "
    "schedule on val_auroc)",
    "test": "test AUROC/AUPR would be reported as nan",
}
