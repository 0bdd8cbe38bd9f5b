"""Hand-made run records with the exact layout ``toolkit/steps/task1.py`` writes.

Used by the report tests and ``bench/bench_report.py``: a sweep folder (``sweep.json`` and
``runs/<name>/record.json``) whose numbers are chosen by the test, so that every table,
t-test and reproduction value can be checked against numbers computed by hand.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

TFS = (
    "arid3",
    "cebpb",
    "fosl1",
    "gabpa",
    "mafk",
    "max",
    "mef2a",
    "nfyb",
    "sp1",
    "srf",
    "stat1",
    "yy1",
)
VERSIONS = {
    "python": "3.11.7",
    "platform": "Linux-x86_64-with-glibc2.36",
    "expact": "0.1.0",
    "tensorflow-cpu": "2.15.1",
    "keras": "2.15.0",
    "numpy": "1.26.4",
    "h5py": "3.16.0",
    "pandas": "3.0.6",
    "scikit-learn": "1.9.1",
    "memelite": "0.5.0",
    "logomaker": "0.8.7",
    "shap": "0.49.1",
    "submitit": "1.5.4",
    "dask": "2026.8.0",
    "horovod": "0.28.1",
    "tomtom": "memelite 0.5.0",
}
SECTIONS = {
    "data": {
        "path": "results/fake/data/task1.h5",
        "generate": {"n_seq": 15000, "seq_length": 200, "seed": 33, "pfm": None},
    },
    "train": {"epochs": 20, "batch_size": 100, "monitor": "val_aupr", "patience": 20},
    "filters": {
        "threshold": 0.5,
        "window": 20,
        "clip_threshold": 0.5,
        "clip_pad": 3,
        "reproduce_clip_index0_bug": False,
        "logos": True,
    },
    "tomtom": {
        "backend": "lite",
        "target": "results/fake/data/JASPAR2016_CORE_vertebrates.meme",
        "thresh": 0.1,
        "dist": "ed",
        "min_overlap": 1,
    },
    "match": {"ground_truth": None, "reproduce_index0_bug": False},
}


def spec(
    model: str, activation: str, trial: int, task: str = "task1", sweep: str = "fake", seed: int = 0
) -> dict:
    """A run spec as ``RunSpec.to_dict()`` writes it (name and spec_hash included)."""
    body = {
        "task": task,
        "sweep": sweep,
        "model": model,
        "activation": activation,
        "trial": trial,
        "seed": seed + trial,
        **SECTIONS,
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return body | {"name": f"{model}_{activation.replace(':', '-')}_{trial}", "spec_hash": digest}


def record(
    model: str,
    activation: str,
    trial: int,
    *,
    auroc: float,
    aupr: float,
    match_fraction: float | None = None,
    match_any: float | None = None,
    task: str = "task1",
    sweep: str = "fake",
    n_filters: int = 32,
    attribution: dict | None = None,
) -> dict:
    """A record as ``toolkit.steps.task1.task1`` writes it, with the given numbers."""
    s = spec(model, activation, trial, task, sweep)
    rec = {
        "status": "done",
        "spec": s,
        "seed": s["seed"],
        "versions": VERSIONS,
        "first_layer": "conv1_activation",
        "epochs_run": 20,
        "metrics": {"auroc": auroc, "aupr": aupr},
        "metrics_per_class": {"auroc": [auroc] * 12, "aupr": [aupr] * 12},
    }
    if match_fraction is not None:
        n_match = round(match_fraction * n_filters)
        best_match = [TFS[j % 12] if j < n_match else "" for j in range(n_filters)]
        rec["match"] = {
            "match_fraction": match_fraction,
            "match_any": match_any if match_any is not None else match_fraction,
            "coverage": min(n_match, 12) / 12,
            "best_qvalue": [0.001 if j < n_match else 1.0 for j in range(n_filters)],
            "best_match": best_match,
            "min_qvalue": {tf: (0.001 if tf in best_match else 1.0) for tf in TFS},
        }
        rec["n_windows"] = [5000 + 97 * j for j in range(n_filters)]
    if attribution is not None:
        rec["attribution"] = attribution
    rec["files"] = {
        "weights": "weights.h5",
        "history": "history.json",
        "filters": "filters.npz",
        "meme": "filters.meme",
        "tomtom": "tomtom/tomtom.tsv",
        "logos": ["filter_logos.pdf", "filter_logos.png"],
    }
    rec["timings_s"] = {
        "load": 0.459,
        "train": 204.16,
        "evaluate": 1.704,
        "filters": 3.675,
        "tomtom": 1.15,
        "match_logos": 7.404,
    }
    rec["wall_s"] = 218.561
    return rec


def write_sweep(
    root: Path,
    records: list[dict],
    expected: list[dict] | None = None,
    name: str = "fake",
    task: str = "task1",
) -> Path:
    """Write ``sweep.json`` (runs: ``expected`` specs, default those of ``records``) and records."""
    root.mkdir(parents=True, exist_ok=True)
    specs = expected if expected is not None else [r["spec"] for r in records]
    (root / "sweep.json").write_text(
        json.dumps(
            {"config": f"configs/{name}.yaml", "name": name, "task": task, "runs": specs}, indent=2
        )
    )
    for rec in records:
        write_record(root, rec)
    return root


def write_record(root: Path, rec: dict) -> Path:
    """``runs/<name>/record.json`` of one record (indented, as ``write_json`` does)."""
    run_dir = root / "runs" / rec["spec"]["name"]
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "record.json"
    path.write_text(json.dumps(rec, indent=2) + "\n")
    return path
