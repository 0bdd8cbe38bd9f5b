"""Attribution maps of a trained model scored against ground truth (spec §6): the attribution
block of every step that has one.

Saliency, in-silico mutagenesis, integrated gradients and DeepSHAP of the first positive test
sequences; each map scored per sequence (AUROC/AUPR against the positions of the embedded
motifs); scores as Parquet, maps as NPZ, logos as PDF/PNG in the run folder.
"""

from __future__ import annotations

import io
import logging
import time

import numpy as np

from toolkit.attribution import METHODS
from toolkit.config import RunSpec
from toolkit.errors import InputError
from toolkit.files import atomic_write_bytes, write_npz
from toolkit.run_folder import ATTRIBUTION_LOGOS, ATTRIBUTION_MAPS, ATTRIBUTION_SCORES, RunFolder

log = logging.getLogger(__name__)

#: Methods in the paper's order; each draws its references from its own stream
#: ``RandomState([seed, index])`` so a method's maps do not depend on which others run.
METHOD_ORDER = tuple(METHODS)


def attribution_analysis(
    model,
    x_test: np.ndarray,
    y_test: np.ndarray,
    model_test: np.ndarray | None,
    attr: dict,
    spec: RunSpec,
    run: RunFolder,
) -> dict:
    """The spec §6 analysis of one trained model: maps, per-sequence scores, files.

    Sequences: the first ``n_sequences`` test sequences with ``y_test[:, class_index] == 1``,
    in test order (the original's ``x_test[y_test[:, 0] == 1][:500]``).

    Returns
    -------
    dict
        ``summary`` (the record's ``attribution`` section), and the names of the files
        written: ``table`` (Parquet), ``maps`` (NPZ or None), ``logos`` (PDF, PNG or []).
    """
    import pandas as pd

    column = attr["class_index"]
    # maps need one-hot sequences: positions with N (0.25 in all four channels, users' data)
    # leave their sequence out, as Task 4's saliency does; the paper's sets have none
    one_hot = (x_test.max(axis=2) == 1).all(axis=1)
    rows = np.flatnonzero((y_test[:, column] == 1) & one_hot)[: attr["n_sequences"]]
    if len(rows) == 0:
        raise InputError(
            spec.data["path"], "Y_test", f"no positive test sequence without N for class {column}"
        )
    x = x_test[rows]
    # (n, 4, L) ground-truth PWMs as the file stores them, an (n, L) motif mask, or None:
    # users' data without ground truth get maps and logos, no scores
    truth = None if model_test is None else model_test[rows]
    maps: dict[str, np.ndarray] = {}
    methods: dict[str, dict] = {}
    tables = []
    for name in attr["methods"]:
        maps[name], scores, methods[name] = _one_method(name, model, x, truth, attr, spec)
        tables.append(
            pd.DataFrame(
                {
                    "run": spec.name,
                    "model": spec.model,
                    "activation": spec.activation,
                    "trial": spec.trial,
                    "method": name,
                    "sequence": np.arange(len(x)),
                    "test_index": rows,
                    "auroc": scores["auroc"],
                    "aupr": scores["aupr"],
                    "n_positive": scores["n_positive"],
                }
            )
        )

    buffer = io.BytesIO()
    pd.concat(tables, ignore_index=True).to_parquet(buffer, index=False)
    atomic_write_bytes(run.file(ATTRIBUTION_SCORES), buffer.getvalue())
    maps_name = None
    if attr["save_maps"]:
        maps_name = ATTRIBUTION_MAPS
        write_npz(run.file(maps_name), x=x.astype(np.int8), test_index=rows, **maps)
    logo_files = _logos(x, rows, maps, truth, tables, attr, run)
    return {
        "summary": _summary(len(x), truth is not None, methods, attr),
        "table": ATTRIBUTION_SCORES,
        "maps": maps_name,
        "logos": logo_files,
    }


def _params(attr: dict) -> dict[str, dict]:
    """Each method's own parameters, as the record states them."""
    return {
        "saliency": {},
        "mutagenesis": {},
        "integrated_gradients": {
            "n_references": attr["ig_references"],
            "n_steps": attr["ig_steps"],
            "variant": attr["ig_variant"],
        },
        "deepshap": {"n_references": attr["shap_references"]},
    }


def _one_method(name: str, model, x, truth, attr: dict, spec: RunSpec):
    """One method's maps, their per-sequence scores and the record's entry for it."""
    from toolkit.attribution import DEFAULT_NORM, score, shuffled_references

    params = _params(attr)
    t0 = time.time()
    kwargs = {"class_index": attr["class_index"], "target": attr["target"]}
    extra_info: dict = {}
    if name in ("integrated_gradients", "deepshap"):
        stream = [spec.seed, METHOD_ORDER.index(name)]
        kwargs["references"] = shuffled_references(
            x, params[name]["n_references"], np.random.RandomState(stream)
        )
        extra_info["references"] = f"position shuffles, np.random.RandomState({stream})"
        if name == "integrated_gradients":
            kwargs |= {"n_steps": attr["ig_steps"], "variant": attr["ig_variant"]}
    if name == "deepshap":
        values, delta = METHODS[name](model, x, return_delta=True, **kwargs)
        extra_info["additivity_max_abs"] = float(np.abs(delta).max())
    else:
        values = METHODS[name](model, x, **kwargs)
    seconds = time.time() - t0
    if truth is None:
        unscored = np.full(len(x), np.nan)
        scores = {"auroc": unscored, "aupr": unscored, "n_positive": np.zeros(len(x), int)}
    else:
        scores = score(
            values, x, truth, norm=DEFAULT_NORM[name], info_threshold=attr["info_threshold"]
        )
    defined = np.isfinite(scores["auroc"])
    entry = {
        "auroc": _mean(scores["auroc"]),
        "aupr": _mean(scores["aupr"]),
        "auroc_std": _std(scores["auroc"]),
        "aupr_std": _std(scores["aupr"]),
        "n_scored": int(defined.sum()),
        "n_undefined": int((~defined).sum()),
        "norm": DEFAULT_NORM[name],
        "params": params[name],
        "seconds": round(seconds, 3),
        **extra_info,
    }
    if truth is None:
        log.info("%s: %d maps, no ground truth to score (%.1f s)", name, len(x), seconds)
    else:
        log.info(
            "%s: attribution AUROC %.4f AUPR %.4f (%d sequences, %.1f s)",
            name,
            entry["auroc"] or float("nan"),
            entry["aupr"] or float("nan"),
            len(x),
            seconds,
        )
    return values, scores, entry


def _logos(x, rows, maps, truth, tables, attr: dict, run: RunFolder) -> list[str]:
    """Attribution logos of the first ``logo_sequences`` sequences; the files' names."""
    from toolkit.attribution import DEFAULT_NORM
    from toolkit.plots import attribution_logos

    k = min(attr["logo_sequences"], len(x))
    if not k:
        return []
    titles = [
        f"test sequence {rows[i]}"
        + (
            ": "
            + ", ".join(
                f"{m} AUROC {t.loc[i, 'auroc']:.2f}"
                for m, t in zip(attr["methods"], tables, strict=True)
            )
            if truth is not None
            else ""
        )
        for i in range(k)
    ]
    norms = {m: DEFAULT_NORM[m] for m in maps}
    written = attribution_logos(
        x[:k],
        {m: v[:k] for m, v in maps.items()},
        None if truth is None else truth[:k],
        run.file(ATTRIBUTION_LOGOS),
        norms=norms,
        titles=titles,
    )
    return [p.name for p in written]


def _summary(n: int, scored: bool, methods: dict, attr: dict) -> dict:
    """The record's ``attribution`` section."""
    return {
        "sequences": {
            "n": int(n),
            "selection": f"first {attr['n_sequences']} test sequences with label "
            f"{attr['class_index']} == 1 and without N, in test order",
        },
        "class_index": attr["class_index"],
        "target": attr["target"],
        "info_threshold": attr["info_threshold"],
        "scoring": (
            "per sequence: AUROC and AUPR (trapezoid) of the channel sum of map x input "
            "(mutagenesis: L2 norm of the deltas on the observed base) against positions with "
            "more than info_threshold bits in the ground-truth model (or inside the motif "
            "mask); mean and std over sequences"
            if scored
            else "none: the data set has no ground truth (model_* or mask_*); maps only"
        ),
        "methods": methods,
    }


def _mean(values: np.ndarray) -> float | None:
    return float(np.nanmean(values)) if np.isfinite(values).any() else None


def _std(values: np.ndarray) -> float | None:
    return float(np.nanstd(values)) if np.isfinite(values).any() else None
