"""Task 3 attribution scores: the rows' ``attribution`` JSON as ``attr_{method}_{metric}`` columns."""

from __future__ import annotations

import json

import pandas as pd

METRICS = ("auroc", "aupr")
# the paper's order of methods (spec §6); others follow alphabetically
METHOD_ORDER = ("saliency", "mutagenesis", "ism", "integrated_gradients", "ig", "deepshap", "shap")
CORRECTED = "_corrected"  # a simplex-corrected map: right after its uncorrected one


def _method_key(method: str) -> tuple:
    base = method.removesuffix(CORRECTED)
    rank = METHOD_ORDER.index(base) if base in METHOD_ORDER else len(METHOD_ORDER)
    return (rank, base, method.endswith(CORRECTED))


def expand_attribution(runs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Add one float column per (method, metric) found in any row's ``attribution``.

    Returns
    -------
    (DataFrame, list of str)
        ``runs`` with the new columns (NaN where a run has no such score), and the methods
        (the paper's order: saliency, mutagenesis, integrated gradients, DeepSHAP; then others;
        each ``<method>_corrected`` right after ``<method>``).
    """
    methods: dict[str, None] = {}
    rows = []
    for text in runs["attribution"]:
        scores = json.loads(text) if isinstance(text, str) else {}
        for method in scores:
            methods.setdefault(method)
        rows.append(
            {f"attr_{m}_{k}": v for m, d in scores.items() for k, v in d.items() if k in METRICS}
        )
    if not methods:
        return runs, []
    methods = dict.fromkeys(sorted(methods, key=_method_key))
    columns = [f"attr_{m}_{k}" for m in methods for k in METRICS]
    extra = pd.DataFrame(rows, index=runs.index, columns=columns, dtype=float)
    return runs.drop(columns=[c for c in columns if c in runs]).join(extra), list(methods)
