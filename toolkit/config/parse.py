"""Sweep configs (YAML) and the run specs they expand into.

A config names a task, a grid (models x activations x trials, optionally x the values of
``vary``) and the parameters of each step. :func:`load_config` validates everything a run will need before any compute is spent;
:meth:`SweepConfig.run_specs` expands the grid into :class:`RunSpec` objects whose ids are
derived from their content, so the same config always maps to the same runs and records.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toolkit.config.sections import (
    DEFAULTS,
    SECTIONS,
    SPEC_SECTIONS,
    TOP_LEVEL,
    check_sections,
)
from toolkit.config.spec import RunSpec
from toolkit.errors import InputError
from toolkit.run_folder import SweepManifest
from toolkit.tasks import TASKS


@dataclass
class SweepConfig:
    """A validated sweep config."""

    task: str
    name: str
    models: list[str]
    activations: list[str]
    trials: int
    seed: int
    sections: dict[str, dict]
    source: str = "config"
    extra: dict[str, dict] = field(default_factory=dict)  # the task's own sections
    model_options: dict = field(default_factory=dict)  # non-default `model` options
    # one (label, sections, model options) per combination of `vary` values; empty without
    variants: list[tuple[str, dict, dict]] = field(default_factory=list)

    def run_specs(self, results_dir: str | Path) -> list[RunSpec]:
        """Expand the grid into run specs (model-major, then activation, then trial).

        Relative data and database paths are resolved here, so a spec means the same thing
        wherever it runs. Each trial's seed is ``seed + trial``: trial t of every
        (model, activation) cell starts from the same seed, a paired design.
        """
        results_dir = Path(results_dir).resolve()
        variants = self.variants or [("", self.sections, self.model_options)]
        motifs = self.extra.get("motifs")
        resolved = [
            (label, resolve_paths(sections, results_dir, self.task, motifs), options)
            for label, sections, options in variants
        ]
        return [
            RunSpec(
                task=self.task,
                sweep=self.name,
                model=model,
                activation=activation,
                trial=trial,
                seed=self.seed + trial,
                **copy.deepcopy(sections),
                extra=copy.deepcopy(self.extra),
                model_options=copy.deepcopy(options),
                variant=label,
            )
            for model in self.models
            for label, sections, options in resolved
            for activation in self.activations
            for trial in range(self.trials)
        ]


def load_config(path: str | Path, overrides: dict | None = None) -> SweepConfig:
    """Read and validate a sweep config.

    Parameters
    ----------
    path : str or Path
        YAML file.
    overrides : dict, optional
        Values merged over the file's (same structure), e.g. from the command line.

    Raises
    ------
    InputError
        Naming the file and the key, for unknown keys, unknown models or activations, and
        values of the wrong type.
    """
    path = Path(path)
    source = str(path)
    raw = _merge(read_yaml(path, "config file"), overrides or {})
    try:
        return parse_config(raw, source, default_name=path.stem)
    except (TypeError, AttributeError) as exc:
        # a value of a shape no check foresaw (a list where a name belongs, a number as a
        # key): still the config's fault, so one line naming it rather than a traceback
        raise InputError(source, None, f"a value has an unexpected type: {exc}") from None


def read_yaml(path: Path, what: str) -> dict:
    """A YAML file holding a mapping (a sweep or analysis config), or a one-line error."""
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise InputError(path, None, f"{what} not found") from None
    except yaml.YAMLError as exc:
        raise InputError(path, None, f"not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise InputError(path, None, "expected a mapping of keys at the top level")
    return raw


def parse_config(raw: dict, source: str = "config", default_name: str = "sweep") -> SweepConfig:
    """Validate a config mapping (see :func:`load_config`).

    ``vary`` maps ``section.key`` (``model.*``, ``train.*``, ``filters.*``, ``tomtom.*``,
    ``match.*``) to a list of values; every combination is a variant of the grid, checked
    here as a config of its own, and labelled ``{key}-{value}`` (``first_layer_`` dropped
    from the key) in its runs' names.
    """
    vary = raw.get("vary")
    if vary is None:
        return _parse_one(raw, source, default_name)
    base = _parse_one({k: v for k, v in raw.items() if k != "vary"}, source, default_name)
    base.variants = [
        (label, variant.sections, variant.model_options)
        for label, over in _vary_combinations(vary, source)
        for variant in [_parse_one(_merge(raw, over) | {"vary": None}, source, default_name)]
    ]
    return base


_VARIABLE_SECTIONS = ("model", "train", "filters", "tomtom", "match")


def _vary_combinations(vary: Any, source: str) -> list[tuple[str, dict]]:
    """``[(label, overrides)]``, one per combination of the ``vary`` values."""
    import itertools

    if not isinstance(vary, dict) or not vary:
        raise InputError(source, "vary", "expected a mapping of section.key -> list of values")
    axes = []
    for key, values in vary.items():
        section, _, name = str(key).partition(".")
        if section not in _VARIABLE_SECTIONS or not name:
            raise InputError(
                source,
                f"vary.{key}",
                f"expected a key <section>.<key> of the sections {list(_VARIABLE_SECTIONS)}",
            )
        if not isinstance(values, list) or not values:
            raise InputError(source, f"vary.{key}", f"expected a non-empty list, got {values!r}")
        short = name.removeprefix("first_layer_")
        labels = [f"{short}-{_label_value(key, v)}" for v in values]
        if len(set(labels)) != len(labels):
            raise InputError(source, f"vary.{key}", f"values repeated in {values}")
        axes.append(
            [(label, {section: {name: v}}) for label, v in zip(labels, values, strict=True)]
        )
    combos = []
    for combo in itertools.product(*axes):
        over: dict = {}
        for _, part in combo:
            over = _merge(over, part)
        combos.append(("_".join(label for label, _ in combo).replace(":", "-"), over))
    return combos


def default_results(config: SweepConfig) -> Path:
    """``results/<name>``: the results folder when none is given.

    Raises
    ------
    InputError
        When the name cannot be one folder (a '/', '.' or '..'): give a results folder.
    """
    name = config.name
    if "/" in name or name in (".", ".."):
        raise InputError(
            config.source,
            "name",
            f"{name!r} cannot be the default results folder results/<name>: "
            "give --results, or a name without '/'",
        )
    return Path("results") / name


def _label_value(key: str, value: Any) -> str:
    """A value as it appears in run names (canonical, so equal values name equal runs)."""
    from toolkit.config.names import canonical_initializer, format_value

    if key.startswith("model.") and key.endswith("_initializer") and isinstance(value, str):
        try:
            return canonical_initializer(value)
        except InputError:
            pass  # the variant's own parse names the bad value
    if isinstance(value, float):
        return format_value(value)
    return str(value).lower()


def _parse_one(raw: dict, source: str, default_name: str) -> SweepConfig:
    """One config without ``vary`` (see :func:`parse_config`)."""
    # names and checks from TF-free modules: a config validates in well under a second
    from toolkit.config.model import model_options
    from toolkit.config.train import TrainConfig  # not toolkit.training: no scikit-learn

    task = _task(raw, source)
    models, activations = _grid_names(raw, source)
    trials, seed = _grid_ints(raw, source)
    sweep_name = _sweep_name(raw, source)
    sections = _shared_sections(raw, source)
    extra = _task_sections(raw, task, source)
    if TASKS[task].monitor and "monitor" not in sections["train"]:
        sections["train"]["monitor"] = TASKS[task].monitor
    TrainConfig.from_dict(sections["train"], source)
    check_sections(task, sections, extra, source)
    _require_data(task, sections, source)
    return SweepConfig(
        model_options=model_options(raw.get("model"), source),
        task=task,
        name=sweep_name or default_name,
        models=models,
        activations=activations,
        trials=trials,
        seed=seed,
        sections=sections,
        source=source,
        extra=extra,
    )


def _task(raw: dict, source: str) -> str:
    """The config's task, after rejecting keys no task takes."""
    all_sections = {s for t in TASKS.values() for s in t.sections}
    unknown = sorted(set(raw) - TOP_LEVEL - all_sections, key=str)
    if unknown:
        raise InputError(source, unknown[0], f"unknown key; valid keys: {sorted(TOP_LEVEL)}")
    task = raw.get("task")
    if not isinstance(task, str) or task not in TASKS:
        raise InputError(source, "task", f"expected one of {sorted(TASKS)}, got {task!r}")
    return task


def _grid_names(raw: dict, source: str) -> tuple[list[str], list[str]]:
    """Canonical model and activation names of the grid."""
    from toolkit.config.names import canonical_activation, canonical_model_name

    models = _str_list(raw.get("models"), source, "models")
    activations = _str_list(raw.get("activations"), source, "activations")
    try:
        models = [canonical_model_name(m) for m in models]
    except InputError as exc:
        raise InputError(source, "models", exc.problem) from None
    try:
        activations = [canonical_activation(a) for a in activations]
    except InputError as exc:
        raise InputError(source, "activations", exc.problem) from None
    return models, activations


def _grid_ints(raw: dict, source: str) -> tuple[int, int]:
    """``trials`` (positive) and ``seed`` (non-negative)."""
    trials = raw.get("trials", 1)
    seed = raw.get("seed", 0)
    for key, value in (("trials", trials), ("seed", seed)):
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value < (1 if key == "trials" else 0)
        ):
            raise InputError(
                source,
                key,
                f"expected a {'positive' if key == 'trials' else 'non-negative'} integer, got {value!r}",
            )
    return trials, seed


def _sweep_name(raw: dict, source: str) -> str | None:
    sweep_name = raw.get("name")
    if isinstance(sweep_name, int) and not isinstance(sweep_name, bool):
        sweep_name = str(sweep_name)  # `name: 2021` in YAML
    if sweep_name is not None and (not isinstance(sweep_name, str) or not sweep_name.strip()):
        # any text is a name (records and job names carry it quoted); whether it can also be
        # the default results folder is checked where that default is taken (default_results)
        raise InputError(source, "name", f"expected a non-empty text, got {sweep_name!r}")
    return sweep_name


def _shared_sections(raw: dict, source: str) -> dict[str, dict]:
    """The sections every task takes, defaults merged; fixed-key sections reject typos."""
    sections = {}
    for name in SPEC_SECTIONS:
        given = _mapping(raw, name, source)
        if name in SECTIONS:  # train: TrainConfig rejects its own unknown keys
            SECTIONS[name].reject_unknown(given, name, source)
        sections[name] = _merge(copy.deepcopy(DEFAULTS[name]), given)
    return sections


def _mapping(raw: dict, name: str, source: str) -> dict:
    given = raw.get(name) or {}
    if not isinstance(given, dict):
        raise InputError(source, name, f"expected a mapping, got {type(given).__name__}")
    return given


def _require_data(task: str, sections: dict, source: str) -> None:
    """A data set where the task has no generator (named files exist: checked with their
    sections, :class:`toolkit.config.schema.InputFile`)."""
    if sections["data"]["path"] is None and TASKS[task].generator is None:
        raise InputError(
            source,
            "data.path",
            f"{task} has no generator: set data.path to the "
            f"data set ({TASKS[task].data_source or 'see the README'})",
        )


def _task_sections(raw: dict, task: str, source: str) -> dict[str, dict]:
    """The task's own sections (defaults merged, value types checked against them); sections
    of other tasks are errors."""
    known = TASKS[task].sections
    for name in raw:
        if name not in TOP_LEVEL and name not in known:
            takers = sorted(t.name for t in TASKS.values() if name in t.sections)
            raise InputError(source, name, f"section only for {takers}, not {task}")
    extra = {}
    for name, section in known.items():
        given = _mapping(raw, name, source)
        section.reject_unknown(given, name, source)
        section.check_types(given, name, source)
        extra[name] = section.spec_values(_merge(copy.deepcopy(dict(section)), given))
    return extra


def resolve_paths(sections: dict, results_dir: Path, task: str, motifs: dict | None = None) -> dict:
    """Absolute paths for every file a run reads; defaults placed under ``results_dir``.

    ``motifs`` (the ``sequences`` task's section: release, collection, tax group) names the
    default Tomtom target, ``<release>_<collection>_<tax_group>.meme``; JASPAR 2016 CORE
    vertebrates, the paper's, otherwise.
    """
    sections = copy.deepcopy(sections)
    data = sections["data"]
    data["path"] = (
        str(Path(data["path"]).resolve())
        if data["path"]
        else str(SweepManifest(results_dir).data_dir / f"{task}.h5")
    )
    for key in ("pfm", "fasta", "labels", "genome", "blacklist"):  # the generators' input files
        if data["generate"].get(key):
            data["generate"][key] = str(Path(data["generate"][key]).resolve())
    peaks = data["generate"].get("peaks")
    if isinstance(peaks, str):
        data["generate"]["peaks"] = str(Path(peaks).resolve())
    elif isinstance(peaks, list):
        data["generate"]["peaks"] = [str(Path(p).resolve()) for p in peaks]
    elif isinstance(peaks, dict):
        data["generate"]["peaks"] = {k: str(Path(p).resolve()) for k, p in peaks.items()}
    tomtom = sections["tomtom"]
    motifs = motifs or {"release": "JASPAR2016", "collection": "CORE", "tax_group": "vertebrates"}
    default = f"{motifs['release']}_{motifs['collection']}_{motifs['tax_group']}.meme"
    tomtom["target"] = (
        str(Path(tomtom["target"]).resolve())
        if tomtom["target"]
        else str(SweepManifest(results_dir).data_dir / default)
    )
    if sections["match"]["ground_truth"]:
        sections["match"]["ground_truth"] = str(Path(sections["match"]["ground_truth"]).resolve())
    return sections


def _str_list(value: Any, source: str, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not value or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(source, key, f"expected a non-empty list of names, got {value!r}")
    return value


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
