"""The match rule: which motifs a run's filters were compared with and when a filter matches.

A run record holds two sections (:func:`motif_db`, :func:`match_rule`); the report above
the filter tables and ``expact run/submit --check`` state them in words with
:func:`describe_match_rule`, so the sentence is built in one place from the same values.
They live here, below the input checks and the steps, because both import them
(tests/test_architecture.py: ``toolkit.config.inputs`` may not import ``toolkit.steps``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from toolkit.tomtom.targets import TargetSet

__all__ = ["describe_match_rule", "match_rule", "motif_db"]

#: The JASPAR set the paper's tasks are compared with when no ``motifs`` section says otherwise.
PAPER_JASPAR = {"release": "JASPAR2016", "collection": "CORE", "tax_group": "vertebrates"}


def match_rule(tomtom: Mapping[str, Any], ground_truth: bool = False) -> dict:
    """The record's ``match_rule`` section: how a filter is said to match a motif.

    Parameters
    ----------
    tomtom : Mapping
        A run's ``tomtom`` section (``backend``, ``dist``, ``thresh``, ``min_overlap``).
    ground_truth : bool
        Whether the run also scores matches against the ground-truth TFs (Tasks 1 and 2).

    Returns
    -------
    dict
        ``tool``, ``distance``, ``threshold_type``, ``threshold``, ``min_overlap``, ``match``
        and, with ``ground_truth``, ``match_ground_truth`` (JSON types).
    """
    rule = {
        "tool": f"Tomtom ({tomtom['backend']})",
        "distance": tomtom["dist"],
        "threshold_type": "E-value",
        "threshold": tomtom["thresh"],
        "min_overlap": tomtom["min_overlap"],
        "match": "any hit at or below the threshold (a filter whose only hit is MA0615.1 "
        "Gmeb1 does not count)",
    }
    if ground_truth:
        rule["match_ground_truth"] = "a hit is one of the JASPAR IDs of a planted TF"
    return rule


def motif_db(motifs: Mapping[str, Any] | None, targets: TargetSet | str) -> dict:
    """The record's ``motif_db`` section: which motifs the filters were compared with.

    ``release``, ``collection`` and ``tax_group`` are the JASPAR set written from pyjaspar
    when ``tomtom.target`` was not given (None for a user's own file; the paper's tasks:
    JASPAR 2016 CORE vertebrates unless ``tomtom.target`` names a file).

    Parameters
    ----------
    motifs : Mapping or None
        The config's ``motifs`` section (users' own data); None or empty for the paper's
        tasks.
    targets : TargetSet or str
        The target after the ``motifs.min_mean_ic`` filter; or only its file's path where
        the motifs were not read (a file written before the first run, or unreadable now):
        then the section has no counts.

    Returns
    -------
    dict
        ``release``, ``collection``, ``tax_group``, ``source``, ``min_mean_ic`` and, from a
        :class:`TargetSet`, ``path``, ``n_motifs``, ``n_kept``, ``dropped``.
    """
    motifs = motifs or {}
    jaspar = {k: motifs.get(k, default) for k, default in PAPER_JASPAR.items()}
    source = targets.source if isinstance(targets, TargetSet) else str(targets)
    if Path(source).name != "{release}_{collection}_{tax_group}.meme".format(**jaspar):
        jaspar = dict.fromkeys(jaspar)  # a file of the user's, not the pyjaspar set
    if isinstance(targets, TargetSet):
        return jaspar | targets.to_dict()
    return jaspar | {"source": source, "min_mean_ic": float(motifs.get("min_mean_ic", 0.0))}


def describe_match_rule(rule: Mapping[str, Any], motif_db: Mapping[str, Any] | None = None) -> str:
    """The match rule in words, for a reader of the report or of ``--check``.

    Parameters
    ----------
    rule : Mapping
        A record's ``match_rule`` section (:func:`match_rule`).
    motif_db : Mapping, optional
        A record's ``motif_db`` section (:func:`motif_db`): then the sentence starts with
        the motif database, its size and what ``motifs.min_mean_ic`` left out.

    Returns
    -------
    str
        E.g. ``"Motif database: the file /x/mine.meme, 5 motifs, 3 of them compared after
        leaving out the 2 with a mean information below 1 bits per column
        (motifs.min_mean_ic). Match rule: Tomtom (lite), distance ed, E-value <= 0.1, min
        overlap 1; a filter matches a motif of the database when it has any hit at or below
        the threshold (...)."``
    """
    text = (
        f"Match rule: {rule['tool']}, distance {rule['distance']}, {rule['threshold_type']} "
        f"<= {_number(rule['threshold'])}, min overlap {rule['min_overlap']}; a filter matches "
        f"a motif of the database when it has {rule['match']}"
    )
    if rule.get("match_ground_truth"):
        text += f"; it matches the ground truth when {rule['match_ground_truth']}"
    text += "."
    return text if motif_db is None else f"{_describe_motif_db(motif_db)} {text}"


def _describe_motif_db(db: Mapping[str, Any]) -> str:
    """The database sentence: its name, its motifs and what the ``min_mean_ic`` filter left."""
    source = str(db.get("source") or "")
    if db.get("release"):
        jaspar = " ".join(str(db.get(k)) for k in PAPER_JASPAR)
        name = f"{jaspar} (written from pyjaspar to {Path(source).name})"
    else:
        name = f"the file {source}"
    minimum = float(db.get("min_mean_ic") or 0.0)
    n_motifs, n_kept = db.get("n_motifs"), db.get("n_kept")
    if n_motifs is None:  # the motifs were not read: say so, and still what the filter does
        size = ", its motifs not counted (the file could not be read now)"
        if minimum > 0:
            size += (
                f"; the motifs with a mean information below {minimum:g} bits per column "
                "left out (motifs.min_mean_ic)"
            )
    elif minimum > 0:
        size = (
            f", {n_motifs} motifs, {n_kept} of them compared after leaving out the "
            f"{n_motifs - n_kept} with a mean information below {minimum:g} bits per column "
            "(motifs.min_mean_ic)"
        )
    else:
        size = f", {n_motifs} motifs, all of them compared"
    return f"Motif database: {name}{size}."


def _number(value: Any) -> str:
    """A threshold as a reader writes it (0.1, not 0.1000000001; 1e-05)."""
    return f"{value:g}" if isinstance(value, int | float) else str(value)
