"""One Task 3 run end to end: train, evaluate, attribution maps scored against ground truth.

Spec §1.2 (data), §2 (CNN-local, CNN-dist), §4 (training, monitor val_auroc), §6
(attribution). The run writes everything into its own folder; the record (``record.json``)
is written last and atomically, so a run without a record is not done and is redone.

Files of a run: ``weights.h5``, ``history.json``, ``attribution_scores.parquet`` (one row
per method and sequence), ``attribution_maps.npz`` (the maps, when ``save_maps``),
``attribution_logos.pdf/.png`` (the first ``logo_sequences`` sequences), ``record.json``.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.attribution import METHODS
from toolkit.attribution._common import TARGETS
from toolkit.attribution.integrated_gradients import VARIANTS as IG_VARIANTS
from toolkit.config import RunSpec
from toolkit.errors import InputError
from toolkit.run_folder import RunFolder

METHOD_ORDER = tuple(METHODS)  # the paper's order (spec §6)


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
    """Run one (model, activation, trial) cell of Task 3; return its record.

    The step signature of :data:`toolkit.steps.RUN_STEPS`; ``spec.extra["attribution"]``
    holds the attribution section. The record's ``attribution.methods`` holds per method the
    mean (and std) over sequences of the per-sequence AUROC and AUPR.
    """
    from toolkit.data import load
    from toolkit.steps import LOADER_TASK, TASK_SECTIONS
    from toolkit.steps.attribution_analysis import attribution_analysis
    from toolkit.steps.fit import fit
    from toolkit.steps.record import Clock, data_section, record

    run, clock = RunFolder(Path(run_dir)), Clock()
    # the section was checked when the config was read, its indices against the data by
    # toolkit.check_inputs before any run started
    attr = TASK_SECTIONS[spec.task]["attribution"] | spec.extra.get("attribution", {})
    with clock.lap("load"):
        data = load(spec.data["path"], task=LOADER_TASK[spec.task])
    fitted = fit(spec, data, run, progress)
    with clock.lap("attribution"):
        result = attribution_analysis(
            fitted.model, data.x_test, data.y_test, data.model_test, attr, spec, run
        )
    files = {
        "attribution_scores": result["table"],
        "attribution_maps": result["maps"],
        "logos": result["logos"],
    }
    sections = {"data": data_section(spec, data), "attribution": result["summary"]}
    return record(spec, run, clock, fitted, files=files, **sections)
