"""Re-analysis configs: analyses of finished runs that reload their weights, never retrain.

An analysis config names a kind, the varied value list and which runs of a results folder
to re-analyse::

    analysis: filter_threshold          # see toolkit.tasks.ANALYSES
    name: threshold_sweep               # default: the file's stem
    values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    runs: {models: [cnn-deep], activations: [relu, exponential]}   # default: all done runs
    params: {}                          # the kind's own options (Analysis.params)

:func:`analysis_specs` turns it into one :class:`toolkit.config.RunSpec` per (finished source
run, value): the source spec with the analysed parameter changed, ``task`` the analysis kind,
``variant`` the value's label, ``extra["analysis"]`` the kind, value, options and the source
run (folder, spec hash). They go through the sweep's own machinery (plan, execute, submit,
status, retry, report) in ``RESULTS/analyses/<name>/``: hashed, skip-done, atomic records.
"""

from __future__ import annotations

import copy
import numbers
from pathlib import Path
from typing import Any

from toolkit.config.parse import read_yaml
from toolkit.config.sections import SPEC_SECTIONS
from toolkit.config.spec import RunSpec
from toolkit.errors import InputError
from toolkit.run_folder import SweepManifest
from toolkit.tasks import ANALYSES, Analysis

TOP_LEVEL = ("analysis", "name", "values", "runs", "params")


def load_analysis(path: str | Path) -> dict:
    """Read and check an analysis config (see the module doc); return it with defaults.

    Raises
    ------
    InputError
        Naming the file and the key.
    """
    path = Path(path)
    source = str(path)
    raw = read_yaml(path, "analysis config")
    unknown = sorted(set(raw) - set(TOP_LEVEL), key=str)
    if unknown:
        raise InputError(source, unknown[0], f"unknown key; valid keys: {list(TOP_LEVEL)}")
    kind = raw.get("analysis")
    if kind not in ANALYSES:
        raise InputError(source, "analysis", f"expected one of {list(ANALYSES)}, got {kind!r}")
    info = ANALYSES[kind]
    values = raw.get("values")
    if not isinstance(values, list) or not values:
        raise InputError(source, "values", f"expected a non-empty list of {info.parameter}s")
    values = [_value(v, info, source) for v in values]
    if len(set(values)) != len(values):
        raise InputError(source, "values", f"values repeated in {values}")
    runs = raw.get("runs") or {}
    if not isinstance(runs, dict) or set(runs) - {"models", "activations", "trials"}:
        raise InputError(source, "runs", "expected a mapping of models, activations, trials")
    for key, value in runs.items():
        if not isinstance(value, list) or not value:
            raise InputError(source, f"runs.{key}", f"expected a non-empty list, got {value!r}")
    runs = _canonical_runs(runs, source)
    given = raw.get("params") or {}
    info.params.reject_unknown(
        given, "params", source, f"unknown option; {kind} takes {list(info.params)}"
    )
    params = copy.deepcopy(dict(info.params)) | given
    info.params.check(params, "params", source)
    name = str(raw.get("name") or path.stem)
    if "/" in name or name in (".", ".."):
        raise InputError(source, "name", f"expected a folder name (no '/'), got {name!r}")
    return {
        "analysis": kind,
        "name": name,
        "values": values,
        "runs": runs,
        "params": params,
        "source": source,
    }


def analysis_specs(analysis: dict, results_dir: str | Path) -> list[RunSpec]:
    """One spec per (finished source run in ``results_dir``, value), source-run order.

    Raises
    ------
    InputError
        When the folder has no sweep, no finished run matches ``runs``, or the runs are of a
        task the analysis does not apply to.
    """
    results_dir = Path(results_dir).resolve()
    manifest = SweepManifest(results_dir)
    try:
        sources = manifest.specs()
    except ValueError as exc:
        raise InputError(manifest.path, None, str(exc)) from None
    if not sources:
        raise InputError(manifest.path, None, "no sweep here: run a sweep before re-analysing it")
    kind, info = analysis["analysis"], ANALYSES[analysis["analysis"]]
    wanted = analysis["runs"]
    models = set(wanted.get("models", []))
    activations = set(wanted.get("activations", []))
    trials = set(wanted.get("trials", []))
    picked = [
        s
        for s in sources
        if (not models or s.model in models)
        and (not activations or s.activation in activations)
        and (not trials or s.trial in trials)
        and manifest.run(s).is_done(s)
    ]
    if not picked:
        raise InputError(
            analysis["source"],
            "runs",
            f"no finished run of {results_dir} matches {wanted or 'all'}",
        )
    tasks = sorted({s.task for s in picked} - set(info.tasks))
    if tasks:
        raise InputError(
            analysis["source"], "analysis", f"{kind} applies to {list(info.tasks)}, not {tasks}"
        )
    specs = []
    for source in picked:
        for value in analysis["values"]:
            label = f"{info.parameter}-{_label(value)}"
            sections = {k: copy.deepcopy(getattr(source, k)) for k in SPEC_SECTIONS}
            if info.sets:  # the analysed parameter is a spec's own (e.g. filters.threshold)
                section, key = info.sets.split(".")
                sections[section][key] = value
            specs.append(
                RunSpec(
                    task=kind,
                    sweep=analysis["name"],
                    model=source.model,
                    activation=source.activation,
                    trial=source.trial,
                    seed=source.seed,
                    **sections,
                    extra={
                        "analysis": {
                            "kind": kind,
                            "parameter": info.parameter,
                            "value": value,
                            "params": copy.deepcopy(analysis["params"]),
                            "source": {
                                "task": source.task,
                                "run_dir": str(manifest.run(source).path),
                                "spec_hash": source.spec_hash,
                                "extra": copy.deepcopy(source.extra),
                            },
                        }
                    },
                    model_options=copy.deepcopy(source.model_options),
                    variant="_".join(v for v in (source.variant, label) if v),
                )
            )
    return specs


def _canonical_runs(runs: dict, source: str) -> dict:
    from toolkit.config.names import canonical_activation, canonical_model_name

    out = dict(runs)
    for key, canonical in (("models", canonical_model_name), ("activations", canonical_activation)):
        try:
            out[key] = [canonical(v) for v in runs.get(key, [])]
        except InputError as exc:
            raise InputError(source, f"runs.{key}", exc.problem) from None
    trials = runs.get("trials", [])
    if any(isinstance(t, bool) or not isinstance(t, int) or t < 0 for t in trials):
        raise InputError(source, "runs.trials", f"expected trial numbers >= 0, got {trials!r}")
    return out


def analysis_dir(results_dir: str | Path, name: str) -> Path:
    """Where an analysis of ``results_dir`` keeps its runs: ``RESULTS/analyses/<name>``."""
    return SweepManifest(Path(results_dir)).analysis(name).results_dir


def _value(value: Any, info: Analysis, source: str):
    kind = info.kind
    if kind is str:
        if value not in info.choices:
            raise InputError(source, "values", f"expected {list(info.choices)}, got {value!r}")
        return value
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if kind is int:
        ok = ok and isinstance(value, numbers.Integral)
    low, high = info.range
    if ok:  # thresholds are fractions in (0, 1]; counts are in [low, high]
        ok = low < value <= high if kind is float else low <= value <= high
    if not ok:
        raise InputError(
            source,
            "values",
            f"expected {info.parameter}s as {kind.__name__} in "
            f"{'(' if kind is float else '['}{low}, {high}], got {value!r}",
        )
    return kind(value)


def _label(value) -> str:
    from toolkit.config.names import format_value

    return format_value(value) if isinstance(value, float) else str(value)
