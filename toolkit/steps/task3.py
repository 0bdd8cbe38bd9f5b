"""One Task 3 run end to end: train, evaluate, attribution maps scored against ground truth.

Spec §1.2 (data), §2 (CNN-local, CNN-dist), §4 (training, monitor val_auroc), §6
(attribution). The run writes everything into its own folder; the record (``record.json``)
is written last and atomically, so a run without a record is not done and is redone.

Files of a run: ``weights.h5``, ``history.json``, ``attribution_scores.parquet`` (one row
per method and sequence), ``attribution_maps.npz`` (the maps, when ``save_maps``),
``attribution_logos.pdf/.png`` (the first ``logo_sequences`` sequences), ``record.json``.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np

from toolkit.attribution import METHODS
from toolkit.attribution._common import TARGETS
from toolkit.attribution.integrated_gradients import VARIANTS as IG_VARIANTS
from toolkit.config import RunSpec
from toolkit.errors import InputError
from toolkit.records import RECORD_NAME, atomic_write_bytes, package_versions, write_json

log = logging.getLogger(__name__)

#: Methods in the paper's order; each draws its references from its own stream
#: ``RandomState([seed, index])`` so a method's maps do not depend on which others run.
METHOD_ORDER = tuple(METHODS)


def check_config(extra: dict, source: str = "config") -> None:
    """Validate the ``attribution`` section beyond its value types (called by the config).

    Raises
    ------
    InputError
        Unknown or repeated methods, a bad target or IG variant, non-positive counts.
    """
    section = extra.get("attribution") or {}
    methods = section.get("methods", [])
    if not methods or not all(isinstance(m, str) for m in methods):
        raise InputError(
            source, "attribution.methods", f"expected a non-empty list of {list(METHOD_ORDER)}"
        )
    unknown = [m for m in methods if m not in METHOD_ORDER]
    if unknown:
        raise InputError(
            source,
            "attribution.methods",
            f"unknown method {unknown[0]!r}; valid: {list(METHOD_ORDER)}",
        )
    if len(set(methods)) != len(methods):
        raise InputError(source, "attribution.methods", f"methods repeated in {methods}")
    if section.get("target") not in TARGETS:
        raise InputError(
            source,
            "attribution.target",
            f"expected one of {TARGETS}, got {section.get('target')!r}",
        )
    if section.get("ig_variant") not in IG_VARIANTS:
        raise InputError(
            source,
            "attribution.ig_variant",
            f"expected one of {IG_VARIANTS}, got {section.get('ig_variant')!r}",
        )
    for key in ("n_sequences", "ig_references", "ig_steps", "shap_references"):
        if section.get(key, 1) < 1:
            raise InputError(
                source, f"attribution.{key}", f"expected a positive integer, got {section[key]!r}"
            )
    for key in ("class_index", "logo_sequences"):
        if section.get(key, 0) < 0:
            raise InputError(
                source, f"attribution.{key}", f"expected an integer >= 0, got {section[key]!r}"
            )
    if not section.get("info_threshold", 0) >= 0:
        raise InputError(source, "attribution.info_threshold", "expected a number of bits >= 0")


def task3(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Run one (model, activation, trial) cell of Task 3 and write its record.

    Parameters
    ----------
    spec : RunSpec
        The run's parameters (paths already absolute); ``spec.extra["attribution"]`` holds
        the attribution section (defaults in :data:`toolkit.steps.TASK_SECTIONS`).
    run_dir : str or Path
        The run's folder; created if missing.
    progress : bool
        Show a progress bar over epochs.

    Returns
    -------
    dict
        The record written to ``run_dir/record.json``; its ``attribution.methods`` holds per
        method the mean (and std) over sequences of the per-sequence AUROC and AUPR.
    """
    import tensorflow as tf

    from toolkit.data import load
    from toolkit.models import FIRST_ACTIVATION_LAYER, build_model
    from toolkit.steps import LOADER_TASK, TASK_SECTIONS
    from toolkit.training import TrainConfig, metrics, train

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    timings: dict[str, float] = {}
    attr = TASK_SECTIONS[spec.task]["attribution"] | spec.extra.get("attribution", {})
    check_config({"attribution": attr}, spec.name)

    t0 = time.time()
    data = load(spec.data["path"], task=LOADER_TASK[spec.task])
    if not attr["class_index"] < data.y_test.shape[1]:
        raise InputError(
            spec.data["path"],
            "attribution.class_index",
            f"the data set has {data.y_test.shape[1]} label column(s)",
        )
    timings["load"] = round(time.time() - t0, 3)

    t0 = time.time()
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(spec.seed)  # python, numpy and TF seeds of this trial
    model = build_model(
        spec.model,
        activation=spec.activation,
        input_length=data.x_train.shape[1],
        n_outputs=data.y_train.shape[1],
    )
    config = TrainConfig.from_dict(spec.train)
    log.info(
        "training %s (seed %d, monitor %s) on %d sequences",
        spec.name,
        spec.seed,
        config.monitor,
        len(data.x_train),
    )
    checkpoint_dir = run_dir / "checkpoint"  # a requeued run resumes from its last epoch
    history = train(
        model,
        data.x_train,
        data.y_train,
        data.x_valid,
        data.y_valid,
        config,
        progress=progress,
        checkpoint_dir=checkpoint_dir,
    )
    timings["train"] = round(time.time() - t0, 3)
    weights = run_dir / "weights.h5"
    tmp_weights = run_dir / ".weights.tmp.h5"
    model.save_weights(tmp_weights)
    tmp_weights.replace(weights)
    write_json(run_dir / "history.json", history)

    t0 = time.time()
    predictions = model.predict(data.x_test, batch_size=512, verbose=0)
    test_metrics = metrics(data.y_test, predictions)
    timings["evaluate"] = round(time.time() - t0, 3)
    log.info("test AUROC %.4f AUPR %.4f", test_metrics["auroc"], test_metrics["aupr"])

    t0 = time.time()
    result = attribution_analysis(
        model, data.x_test, data.y_test, data.model_test, attr, spec, run_dir
    )
    timings["attribution"] = round(time.time() - t0, 3)

    record = {
        "status": "done",
        "spec": spec.to_dict(),
        "seed": spec.seed,
        "versions": package_versions(),
        "first_layer": FIRST_ACTIVATION_LAYER,
        "epochs_run": len(history.get("loss", [])),
        "slurm": {
            k: os.environ.get(k)
            for k in (
                "SLURM_JOB_ID",
                "SLURM_ARRAY_JOB_ID",
                "SLURM_ARRAY_TASK_ID",
                "SLURM_RESTART_COUNT",
            )
        },
        "data": {
            "path": spec.data["path"],
            "n": {s: int(len(getattr(data, f"x_{s}"))) for s in ("train", "valid", "test")},
        },
        "metrics": {k: test_metrics[k] for k in ("auroc", "aupr")},
        "metrics_per_class": {
            "auroc": test_metrics["auroc_per_class"],
            "aupr": test_metrics["aupr_per_class"],
        },
        "attribution": result["summary"],
        "files": {
            "weights": weights.name,
            "history": "history.json",
            "attribution_scores": result["table"],
            "attribution_maps": result["maps"],
            "logos": result["logos"],
        },
        "timings_s": timings,
        "wall_s": round(time.time() - started, 3),
    }
    write_json(run_dir / RECORD_NAME, record)
    shutil.rmtree(checkpoint_dir, ignore_errors=True)  # the record and weights.h5 supersede it
    return record


def attribution_analysis(
    model,
    x_test: np.ndarray,
    y_test: np.ndarray,
    model_test: np.ndarray,
    attr: dict,
    spec: RunSpec,
    run_dir: Path,
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

    from toolkit.attribution import DEFAULT_NORM, score, shuffled_references
    from toolkit.plots import attribution_logos

    column = attr["class_index"]
    rows = np.flatnonzero(y_test[:, column] == 1)[: attr["n_sequences"]]
    if len(rows) == 0:
        raise InputError(
            spec.data["path"], "Y_test", f"no positive test sequence for class {column}"
        )
    x = x_test[rows]
    truth = model_test[rows]  # (n, 4, L), as the file stores it
    common = {"class_index": column, "target": attr["target"]}
    params = {
        "saliency": {},
        "mutagenesis": {},
        "integrated_gradients": {
            "n_references": attr["ig_references"],
            "n_steps": attr["ig_steps"],
            "variant": attr["ig_variant"],
        },
        "deepshap": {"n_references": attr["shap_references"]},
    }
    maps: dict[str, np.ndarray] = {}
    methods: dict[str, dict] = {}
    tables = []
    for name in attr["methods"]:
        t0 = time.time()
        kwargs = dict(common)
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
        scores = score(
            values, x, truth, norm=DEFAULT_NORM[name], info_threshold=attr["info_threshold"]
        )
        defined = np.isfinite(scores["auroc"])
        methods[name] = {
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
        log.info(
            "%s: attribution AUROC %.4f AUPR %.4f (%d sequences, %.1f s)",
            name,
            methods[name]["auroc"] or float("nan"),
            methods[name]["aupr"] or float("nan"),
            len(x),
            seconds,
        )
        maps[name] = values
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

    table_name = "attribution_scores.parquet"
    buffer = io.BytesIO()
    pd.concat(tables, ignore_index=True).to_parquet(buffer, index=False)
    atomic_write_bytes(run_dir / table_name, buffer.getvalue())
    maps_name = None
    if attr["save_maps"]:
        maps_name = "attribution_maps.npz"
        buffer = io.BytesIO()
        np.savez_compressed(buffer, x=x.astype(np.int8), test_index=rows, **maps)
        atomic_write_bytes(run_dir / maps_name, buffer.getvalue())
    logo_files: list[str] = []
    k = min(attr["logo_sequences"], len(x))
    if k:
        titles = [
            f"test sequence {rows[i]}: "
            + ", ".join(
                f"{m} AUROC {t.loc[i, 'auroc']:.2f}"
                for m, t in zip(attr["methods"], tables, strict=True)
            )
            for i in range(k)
        ]
        norms = {m: DEFAULT_NORM[m] for m in maps}
        written = attribution_logos(
            x[:k],
            {m: v[:k] for m, v in maps.items()},
            truth[:k],
            run_dir / "attribution_logos",
            norms=norms,
            titles=titles,
        )
        logo_files = [p.name for p in written]

    summary = {
        "sequences": {
            "n": int(len(x)),
            "selection": f"first {attr['n_sequences']} test sequences with label {column} == 1, in test order",
        },
        "class_index": column,
        "target": attr["target"],
        "info_threshold": attr["info_threshold"],
        "scoring": (
            "per sequence: AUROC and AUPR (trapezoid) of the channel sum of map x input "
            "(mutagenesis: L2 norm of the deltas on the observed base) against positions with "
            "more than info_threshold bits in the ground-truth model; mean and std over sequences"
        ),
        "methods": methods,
    }
    return {"summary": summary, "table": table_name, "maps": maps_name, "logos": logo_files}


def _mean(values: np.ndarray) -> float | None:
    return float(np.nanmean(values)) if np.isfinite(values).any() else None


def _std(values: np.ndarray) -> float | None:
    return float(np.nanstd(values)) if np.isfinite(values).any() else None
