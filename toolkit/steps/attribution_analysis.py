"""Attribution maps of a trained model scored against ground truth (spec §6): the attribution
block of every step that has one.

Saliency, in-silico mutagenesis, integrated gradients and DeepSHAP of the first positive test
sequences; each map scored per sequence (AUROC/AUPR against the positions of the embedded
motifs); scores as Parquet, maps as NPZ, logos as PDF/PNG in the run folder.

``attribution.correction`` (issue 21): ``simplex`` scores the simplex-corrected maps of the
gradient methods (saliency, IG, DeepSHAP; :mod:`toolkit.attribution.correction`) under
``<method>_corrected``, ``both`` the corrected beside the uncorrected ones, from the same
gradients; mutagenesis is never corrected. Every run with a gradient method records the
off-simplex statistics of the input gradient at the scored sequences, and every DeepSHAP map
its per-sequence convergence delta (Parquet column ``convergence_delta``) and the check of
:func:`toolkit.attribution.convergence`: above 1e-3 a warning, above 1e-2 the method fails
(its scores are left out, NaN; its maps are kept for inspection).
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
        ``summary`` (the record's ``attribution`` section: per map key, ``<method>`` or
        ``<method>_corrected``, its scores, correction, params and DeepSHAP convergence),
        ``off_simplex`` (the record's ``off_simplex`` section:
        :func:`toolkit.attribution.off_simplex_stats` of the raw input gradient, or None
        without a gradient method), and the names of the files written: ``table`` (Parquet,
        one row per map key and sequence), ``maps`` (NPZ, one array per map key, or None),
        ``logos`` (PDF, PNG or []).
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
        for key, values, scores, entry in _one_method(name, model, x, truth, attr, spec):
            maps[key], methods[key] = values, entry
            tables.append(_score_table(key, name, scores, entry, rows, spec))
    off_simplex = _off_simplex(model, x, maps, attr)

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
        "off_simplex": off_simplex,
        "table": ATTRIBUTION_SCORES,
        "maps": maps_name,
        "logos": logo_files,
    }


def _score_table(key: str, name: str, scores: dict, entry: dict, rows, spec: RunSpec):
    """One map's per-sequence scores as rows of ``attribution_scores.parquet``."""
    import pandas as pd

    n = len(rows)
    delta = scores.get("convergence_delta")
    return pd.DataFrame(
        {
            "run": spec.name,
            "model": spec.model,
            "activation": spec.activation,
            "trial": spec.trial,
            "method": key,
            "base_method": name,
            "correction": entry["correction"],
            "sequence": np.arange(n),
            "test_index": rows,
            "auroc": scores["auroc"],
            "aupr": scores["aupr"],
            "n_positive": scores["n_positive"],
            "convergence_delta": np.full(n, np.nan) if delta is None else delta,
        }
    )


def _off_simplex(model, x, maps: dict, attr: dict) -> dict | None:
    """Off-simplex statistics of the raw input gradient at the scored sequences (None
    without a gradient method)."""
    from toolkit.attribution import off_simplex_stats, saliency
    from toolkit.config.names import GRADIENT_METHODS

    if not set(attr["methods"]) & set(GRADIENT_METHODS):
        return None
    gradient = maps.get("saliency")
    if gradient is None:
        gradient = saliency(model, x, class_index=attr["class_index"], target=attr["target"])
    return off_simplex_stats(gradient) | {
        "gradient": f"d {attr['target']}[:, {attr['class_index']}] / d x at the "
        f"{len(x)} scored sequences (uncorrected)",
        "n_sequences": int(len(x)),
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


def _one_method(name: str, model, x, truth, attr: dict, spec: RunSpec) -> list[tuple]:
    """One method's maps (one, or corrected and uncorrected), each with its per-sequence
    scores and the record's entry: ``[(key, map, scores, entry), ...]``."""
    from toolkit.attribution import corrected_name, shuffled_references
    from toolkit.config.names import GRADIENT_METHODS

    params = _params(attr)
    t0 = time.time()
    kwargs = {"class_index": attr["class_index"], "target": attr["target"]}
    correction = attr.get("correction", "none") if name in GRADIENT_METHODS else "none"
    extra_info: dict = {}
    if name in GRADIENT_METHODS:
        kwargs["correction"] = correction
    if name in ("integrated_gradients", "deepshap"):
        stream = [spec.seed, METHOD_ORDER.index(name)]
        kwargs["references"] = shuffled_references(
            x, params[name]["n_references"], np.random.RandomState(stream)
        )
        extra_info["references"] = f"position shuffles, np.random.RandomState({stream})"
        if name == "integrated_gradients":
            kwargs |= {"n_steps": attr["ig_steps"], "variant": attr["ig_variant"]}
    deltas = None
    if name == "deepshap":
        values, deltas = METHODS[name](model, x, return_delta=True, **kwargs)
    else:
        values = METHODS[name](model, x, **kwargs)
    seconds = time.time() - t0
    if not isinstance(values, dict):
        values = {correction: values}
        deltas = None if deltas is None else {correction: deltas}
    out = []
    for kind, maps in values.items():
        key = corrected_name(name) if kind == "simplex" else name
        info = extra_info | {"correction": kind, "params": params[name]}
        delta = None if deltas is None else deltas[kind]
        scores, entry = _scored(key, name, maps, x, truth, attr, info, delta)
        entry["seconds"] = round(seconds, 3)  # the method's time, both maps together
        out.append((key, maps, scores, entry))
    return out


def _scored(key: str, name: str, values, x, truth, attr: dict, info: dict, delta):
    """Per-sequence scores of one map and its record entry (DeepSHAP: convergence checked)."""
    from toolkit.attribution import DEFAULT_NORM, convergence, score

    check = None if delta is None else convergence(delta)
    failed = check is not None and check["status"] == "fail"
    if truth is None or failed:
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
        **info,
    }
    if check is not None:
        scores["convergence_delta"] = np.asarray(delta, dtype=np.float64)
        entry["additivity_max_abs"] = check["max_abs"]
        entry["convergence"] = check
        _log_convergence(key, check)
    if failed:
        entry["failed"] = (
            f"convergence: max |delta| {check['max_abs']:.3g} > {check['fail']:g}; "
            "scores left out, maps kept"
        )
    elif truth is None:
        log.info("%s: %d maps, no ground truth to score", key, len(x))
    else:
        log.info(
            "%s: attribution AUROC %.4f AUPR %.4f (%d sequences)",
            key,
            entry["auroc"] or float("nan"),
            entry["aupr"] or float("nan"),
            len(x),
        )
    return scores, entry


def _log_convergence(key: str, check: dict) -> None:
    if check["status"] == "fail":
        log.error(
            "%s FAILS the convergence check: max |delta| %.3g > %g (%d sequences above); its "
            "maps do not add up to f(x) - mean f(x'), scores left out",
            key,
            check["max_abs"],
            check["fail"],
            check["n_fail"],
        )
    elif check["status"] == "warn":
        log.warning(
            "%s: convergence delta up to %.3g > %g (%d sequences above)",
            key,
            check["max_abs"],
            check["warn"],
            check["n_warn"],
        )


def _logos(x, rows, maps, truth, tables, attr: dict, run: RunFolder) -> list[str]:
    """Attribution logos of the first ``logo_sequences`` sequences; the files' names."""
    from toolkit.attribution import DEFAULT_NORM
    from toolkit.attribution.correction import CORRECTED_SUFFIX
    from toolkit.plots import attribution_logos

    k = min(attr["logo_sequences"], len(x))
    if not k:
        return []
    titles = [
        f"test sequence {rows[i]}"
        + (
            ": "
            + ", ".join(
                f"{m} AUROC {t.loc[i, 'auroc']:.2f}" for m, t in zip(maps, tables, strict=True)
            )
            if truth is not None
            else ""
        )
        for i in range(k)
    ]
    norms = {m: DEFAULT_NORM[m.removesuffix(CORRECTED_SUFFIX)] for m in maps}
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
        "correction": attr.get("correction", "none"),
        "methods": methods,
    }


def _mean(values: np.ndarray) -> float | None:
    return float(np.nanmean(values)) if np.isfinite(values).any() else None


def _std(values: np.ndarray) -> float | None:
    return float(np.nanstd(values)) if np.isfinite(values).any() else None
