"""Match first-layer filters to ground-truth motifs through Tomtom hits (spec §5.4)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import InputError

REQUIRED_COLUMNS = ("Query_ID", "Target_ID", "q-value")


@dataclass
class MatchResult:
    """Filter-match statistics of one run.

    Attributes
    ----------
    match_fraction : float
        Fraction of filters whose best hit is a ground-truth ID ("match ground truth").
    match_any : float
        Fraction of filters with any Tomtom hit ("match JASPAR"), minus the Gmeb1 correction.
    coverage : float
        Fraction of the ground-truth TFs matched by at least one filter.
    best_qvalue : list of float, length F
        Best q-value of a ground-truth hit per filter (1.0 when none).
    best_match : list of str, length F
        TF name of that hit per filter ('' when none).
    best_match_id : list of str, length F
        JASPAR ID of that hit per filter ('' when none).
    min_qvalue : dict
        Best q-value per TF over all filters.
    """

    match_fraction: float
    match_any: float
    coverage: float
    best_qvalue: list[float]
    best_match: list[str]
    min_qvalue: dict[str, float]
    best_match_id: list[str] | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def load_ground_truth(path: str | Path | None = None) -> dict[str, list[str]]:
    """Ground-truth JASPAR IDs per TF (package data ``task1_ground_truth.json`` by default).

    Parameters
    ----------
    path : str or Path, optional
        JSON ``{"ids": {TF: [JASPAR ID, ...]}, "tfs": [TF, ...]}``; ``tfs`` (the TFs used,
        in order) is optional and, when given, names TFs of ``ids``.

    Returns
    -------
    dict of str to list of str
        TF name -> its JASPAR IDs, in ``tfs`` order.

    Raises
    ------
    InputError
        Naming the file and the line or key, for a missing file, invalid JSON, or values
        that are not a mapping of TF names to non-empty lists of ID strings.
    """
    if path is None:
        text = resources.files("toolkit.data").joinpath("task1_ground_truth.json").read_text()
        source = "toolkit/data/task1_ground_truth.json"
    else:
        source = str(path)
        try:
            text = Path(path).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(source, None, f"cannot read the ground-truth file: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(source, f"line {exc.lineno}", f"not valid JSON: {exc.msg}") from None
    expected = 'expected {"ids": {TF name: [JASPAR IDs]}}'
    if not isinstance(data, dict) or not isinstance(data.get("ids"), dict) or not data["ids"]:
        raise InputError(source, "ids", f"{expected}; no such non-empty mapping found")
    for tf, ids in data["ids"].items():
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise InputError(
                source, f"ids.{tf}", f"expected a non-empty list of JASPAR ID strings, got {ids!r}"
            )
    order = data.get("tfs", list(data["ids"]))
    if (
        not isinstance(order, list)
        or not order
        or not all(isinstance(t, str) and t in data["ids"] for t in order)
    ):
        raise InputError(
            source, "tfs", f"expected a list of TF names of 'ids' ({sorted(data['ids'])})"
        )
    return {tf: list(data["ids"][tf]) for tf in order}


def match(
    tomtom: pd.DataFrame | str | Path,
    n_filters: int,
    ground_truth: dict[str, list[str]] | None = None,
    reproduce_index0_bug: bool = False,
    excluded_if_only_hit: tuple[str, ...] = ("MA0615.1",),
) -> MatchResult:
    """Assign each filter its best ground-truth Tomtom hit and summarise.

    Parameters
    ----------
    tomtom : pandas.DataFrame or path
        Tomtom table (already filtered at E < threshold) with at least Query_ID, Target_ID and
        q-value; query IDs are ``filter{j}``. A path is read as tab-separated with ``#``
        comment lines ignored.
    n_filters : int
        Number of first-layer filters (32 in Task 1, 64 in Task 2).
    ground_truth : dict, optional
        TF name -> JASPAR IDs; the paper's lists by default.
    reproduce_index0_bug : bool
        The original set match_fraction to 0 when filter 0 was the only matching filter
        (``if any(match_index)``); True reproduces that.

    Returns
    -------
    MatchResult
    """
    source = None
    if not isinstance(tomtom, pd.DataFrame):
        source = str(tomtom)
        tomtom = pd.read_csv(tomtom, sep="\t", comment="#")
    missing = [c for c in REQUIRED_COLUMNS if c not in tomtom.columns]
    if missing:
        raise InputError(source, "columns", f"missing {missing}; found {list(tomtom.columns)}")
    ground_truth = load_ground_truth() if ground_truth is None else ground_truth
    id_to_tf = {jid: tf for tf, ids in ground_truth.items() for jid in ids}

    filter_index = tomtom["Query_ID"].astype(str).map(_filter_number)
    bad = filter_index.isna() | (filter_index >= n_filters)
    if bad.any():
        example = tomtom["Query_ID"][bad].iloc[0]
        raise InputError(source, "Query_ID", f"{example!r} is not filter0..filter{n_filters - 1}")
    table = tomtom.assign(filter=filter_index.astype(int), tf=tomtom["Target_ID"].map(id_to_tf))

    best_q = np.ones(n_filters)
    best_tf = [""] * n_filters
    best_id = [""] * n_filters
    tf_rank = {tf: k for k, tf in enumerate(ground_truth)}
    # ties on q go to the TF listed first, as the original's loop over TFs with a strict '<'
    gt_hits = (
        table.dropna(subset=["tf"])
        .assign(tf_rank=lambda t: t["tf"].map(tf_rank))
        .sort_values(["filter", "q-value", "tf_rank"], kind="stable")
    )
    for f, group in gt_hits.groupby("filter", sort=True):
        q = float(group["q-value"].iloc[0])
        if q < best_q[f]:  # the original keeps the first strictly better hit
            best_q[f] = q
            best_tf[f] = str(group["tf"].iloc[0])
            best_id[f] = str(group["Target_ID"].iloc[0])

    matched = np.flatnonzero(best_q != 1)
    if reproduce_index0_bug:
        match_fraction = len(matched) / n_filters if any(matched) else 0.0
    else:
        match_fraction = len(matched) / n_filters

    targets_per_filter = table.groupby("filter")["Target_ID"].agg(list)
    correction = sum(
        1
        for targets in targets_per_filter
        if len(targets) == 1 and targets[0] in excluded_if_only_hit
    )
    match_any = (len(targets_per_filter) - correction) / n_filters

    min_q = {tf: 1.0 for tf in ground_truth}
    for f in matched:
        min_q[best_tf[f]] = min(min_q[best_tf[f]], float(best_q[f]))
    coverage = sum(q != 1.0 for q in min_q.values()) / len(ground_truth)
    return MatchResult(
        match_fraction=float(match_fraction),
        match_any=float(match_any),
        coverage=float(coverage),
        best_qvalue=[float(q) for q in best_q],
        best_match=best_tf,
        min_qvalue=min_q,
        best_match_id=best_id,
    )


def _filter_number(query_id: str) -> float:
    # query IDs are written as filter{j} by the MEME writer
    if query_id.startswith("filter") and query_id[6:].isdigit():
        return float(query_id[6:])
    return float("nan")


def match_any(
    hits: pd.DataFrame,
    n_filters: int,
    names: dict[str, str] | None = None,
    excluded_if_only_hit: tuple[str, ...] = ("MA0615.1",),
) -> dict:
    """ "Match any JASPAR" of real data: the fraction of filters with any Tomtom hit.

    As :func:`match`'s ``match_any`` (a filter whose only hit is Gmeb1, MA0615.1, does not
    count), plus each filter's best hit (lowest q-value, then E-value).

    Parameters
    ----------
    hits : DataFrame
        Tomtom table (``Query_ID`` = ``filter{j}``, ``Target_ID``, ``q-value``, ``E-value``).
    n_filters : int
        Number of first-layer filters.
    names : dict, optional
        JASPAR ID -> TF name (the target file's alternative names).

    Returns
    -------
    dict
        ``match_any``; ``best_match`` / ``best_name`` / ``best_qvalue`` per filter ('' /
        '' / 1.0 without a hit); ``match_fraction`` and ``coverage`` None (no ground truth).
    """
    names = names or {}
    best_id, best_name, best_q = [""] * n_filters, [""] * n_filters, [1.0] * n_filters
    n_matched = 0
    if len(hits):
        table = hits.assign(filter=hits["Query_ID"].astype(str).map(_filter_number))
        bad = table["filter"].isna() | (table["filter"] >= n_filters)
        if bad.any():
            example = table["Query_ID"][bad].iloc[0]
            raise InputError(None, "Query_ID", f"{example!r} is not filter0..filter{n_filters - 1}")
        table = table.astype({"filter": int}).sort_values(
            ["filter", "q-value", "E-value"], kind="stable"
        )
        for j, group in table.groupby("filter", sort=True):
            targets = list(group["Target_ID"].astype(str))
            if not (len(targets) == 1 and targets[0] in excluded_if_only_hit):
                n_matched += 1
            best_id[j] = targets[0]
            best_name[j] = names.get(targets[0]) or targets[0]
            best_q[j] = float(group["q-value"].iloc[0])
    return {
        "match_any": n_matched / n_filters,
        "match_fraction": None,
        "coverage": None,
        "best_match": best_id,
        "best_name": best_name,
        "best_qvalue": best_q,
    }
