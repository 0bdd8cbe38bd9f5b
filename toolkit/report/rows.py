"""One run record -> one flat row: the numbers the report aggregates, never the whole record.

This runs on the Dask workers (local processes or Slurm jobs), so it imports nothing heavy and
never raises: an unreadable, truncated or incomplete record becomes a row whose ``status`` says
so and whose ``error`` says why, and the report lists it instead of failing.

Row columns (:data:`COLUMNS`): the cache key (``path``, ``mtime_ns``, ``size``), the run's
identity and seed, the test metrics, the filter-match statistics (Tasks 1 and 2), provenance as
JSON strings (package versions, container), the first logo file, the ground-truth TFs some
filter matched, and the ``attribution`` section of Task 3 records as a JSON string of
``{method: {"auroc": x, "aupr": y}}`` (expanded into columns by the report; simplex-corrected
maps as ``<method>_corrected``), and the record's ``off_simplex`` section (the fractions of
positions whose input gradient lies more than 30, 45, 60 degrees off the simplex plane).
"""

from __future__ import annotations

import json
import math
from pathlib import PurePosixPath

ROW_SCHEMA = 6  # bump when the columns or their meaning change: the report cache is then rebuilt

COLUMNS: dict[str, str] = {
    "path": "string",  # record path relative to the report's root folder (the cache key)
    "mtime_ns": "int64",
    "size": "int64",
    "status": "string",  # done | corrupt | invalid
    "error": "string",
    "sweep_dir": "string",  # folder of the sweep, relative to the root ('.' when the root)
    "run": "string",
    "task": "string",
    "sweep": "string",
    "model": "string",
    "activation": "string",
    "variant": "string",  # the `vary` label of the run ('' without `vary`)
    "model_options": "string",  # JSON of the run's non-default `model` options
    "trial": "float64",
    "seed": "float64",
    "spec_hash": "string",
    "auroc": "float64",
    "aupr": "float64",
    "auroc_class_std": "float64",  # std over classes of the run's per-class AUROC (Task 4)
    "aupr_class_std": "float64",
    "match_fraction": "float64",
    "match_any": "float64",
    "coverage": "float64",
    "n_filters": "float64",
    "localisation_auroc": "float64",  # expact analyze localisation: region AUROC of the scan
    "localisation_aupr": "float64",
    "epochs_run": "float64",
    "wall_s": "float64",
    "tfs_matched": "string",  # ground-truth TFs with a matching filter, comma-separated
    "filter_tfs": "string",  # JSON: each filter's best Tomtom hit's TF name ('' for none)
    "logo": "string",  # first PNG logo grid of the run, relative to its folder
    "versions": "string",  # JSON of the record's package versions
    "container": "string",  # JSON of the record's container section, if any
    "attribution": "string",  # JSON {method: {metric: value}} of Task 3 records, if any
    "off_simplex_30": "float64",  # fraction of positions > 30 degrees off the simplex plane
    "off_simplex_45": "float64",
    "off_simplex_60": "float64",
}

_ATTRIBUTION_METRICS = ("auroc", "aupr")
_GENERIC_KEYS = {"methods", "scores", "summary", "mean", "metrics", "per_method"}


def record_row(entry: tuple[str, str, int, int]) -> dict:
    """Read one record file and flatten it.

    Parameters
    ----------
    entry : tuple
        ``(absolute path, path relative to the root, mtime_ns, size)`` as the scan saw it.

    Returns
    -------
    dict
        One value per key of :data:`COLUMNS` (None where the record has nothing).
    """
    abs_path, rel_path, mtime_ns, size = entry
    row: dict = dict.fromkeys(COLUMNS)
    parts = PurePosixPath(rel_path).parts
    row.update(
        path=rel_path,
        mtime_ns=int(mtime_ns),
        size=int(size),
        sweep_dir=str(PurePosixPath(*parts[:-3])) if len(parts) > 3 else ".",
        run=parts[-2] if len(parts) >= 2 else rel_path,
    )
    try:
        with open(abs_path, "rb") as handle:
            record = json.loads(handle.read())
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return row | {"status": "corrupt", "error": f"{type(exc).__name__}: {exc}"[:300]}
    try:
        _fill(row, record)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return row | {"status": "invalid", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return row


def _fill(row: dict, record: dict) -> None:
    spec = record["spec"]
    row.update(
        status="done",
        run=spec.get("name") or row["run"],
        task=str(spec["task"]),
        sweep=spec.get("sweep"),
        model=str(spec["model"]),
        activation=str(spec["activation"]),
        variant=str(spec.get("variant") or ""),
        model_options=json.dumps(spec.get("model_options") or {}, sort_keys=True),
        trial=_num(spec.get("trial")),
        seed=_num(record.get("seed", spec.get("seed"))),
        spec_hash=spec.get("spec_hash"),
        epochs_run=_num(record.get("epochs_run")),
        wall_s=_num(record.get("wall_s")),
    )
    metrics = record.get("metrics") or {}
    row["auroc"] = _num(metrics.get("auroc"))
    row["aupr"] = _num(metrics.get("aupr"))
    spread = record.get("metrics_std") or {}
    row["auroc_class_std"] = _num(spread.get("auroc"))
    row["aupr_class_std"] = _num(spread.get("aupr"))
    match = record.get("match")
    if isinstance(match, dict):
        row["match_fraction"] = _num(match.get("match_fraction"))
        row["match_any"] = _num(match.get("match_any"))
        row["coverage"] = _num(match.get("coverage"))
        if isinstance(match.get("best_qvalue"), list):
            row["n_filters"] = float(len(match["best_qvalue"]))
        best_names = match.get("best_name")
        if isinstance(best_names, list):
            row["filter_tfs"] = json.dumps([str(n or "") for n in best_names])
        min_q = match.get("min_qvalue")
        if isinstance(min_q, dict):
            row["tfs_matched"] = ",".join(
                tf for tf, q in min_q.items() if tf and q is not None and float(q) < 1.0
            )
    found = record.get("localisation")
    if isinstance(found, dict):
        row["localisation_auroc"] = _num(found.get("auroc"))
        row["localisation_aupr"] = _num(found.get("aupr"))
    logos = (record.get("files") or {}).get("logos") or []
    row["logo"] = next((name for name in logos if str(name).endswith(".png")), None)
    if record.get("versions") is not None:
        row["versions"] = json.dumps(record["versions"], sort_keys=True)
    if record.get("container") is not None:
        row["container"] = json.dumps(record["container"], sort_keys=True)
    off = record.get("off_simplex")
    if isinstance(off, dict):
        for t in (30, 45, 60):
            row[f"off_simplex_{t}"] = _num(off.get(f"fraction_gt_{t}"))
    if isinstance(record.get("attribution"), dict):
        scores = _attribution_scores(record["attribution"])
        row["attribution"] = json.dumps(scores, sort_keys=True) if scores else None


def _attribution_scores(section: dict, prefix: str = "", depth: int = 0) -> dict:
    """``{method: {"auroc": x, "aupr": y}}`` from a Task 3 record's attribution section.

    Accepts ``{method: {"auroc": x, "aupr": y, ...}}``, the same one level down (under
    ``methods``/``scores``/...), and ``{"auroc": {"mean": x}}`` style values.
    """
    found: dict[str, dict[str, float]] = {}
    metrics = {}
    for metric in _ATTRIBUTION_METRICS:
        value = section.get(metric)
        if isinstance(value, dict):
            value = value.get("mean")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            metrics[metric] = float(value)
    if metrics and prefix:
        found[prefix] = metrics
    if depth < 3:
        for key, value in section.items():
            if isinstance(value, dict) and key not in _ATTRIBUTION_METRICS:
                name = prefix if key in _GENERIC_KEYS else (f"{prefix}_{key}" if prefix else key)
                found.update(_attribution_scores(value, name, depth + 1))
    return found


def _num(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
