"""Types and ranges of every config section, checked at parse time without TensorFlow.

:func:`check_sections` is called by :func:`toolkit.config.parse_config` after unknown keys
were rejected and defaults merged. It checks what can be known from the config alone; what
needs the data (a class index against the number of label columns, a sequence against the
data's length) is checked by :func:`toolkit.config.inputs.check_inputs`.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable
from typing import Any

from toolkit.config.names import (
    ATTRIBUTION_METHODS,
    ATTRIBUTION_TARGETS,
    IG_VARIANTS,
    LITE_DISTANCES,
    RESIZE,
    TOMTOM_BACKENDS,
    TOMTOM_DISTANCES,
)
from toolkit.errors import InputError

__all__ = ["check_sections"]


def check_sections(
    task: str, sections: dict[str, dict], extra: dict[str, dict], source: str
) -> None:
    """Check the values of a config's sections (defaults already merged in).

    Parameters
    ----------
    task : str
        The config's task, e.g. ``"task1"``.
    sections : dict
        ``data``, ``filters``, ``tomtom``, ``match`` (``train`` is checked by
        :meth:`toolkit.config.train.TrainConfig.validate`).
    extra : dict
        The task's own sections (``Task.sections`` in ``toolkit.tasks``), value types checked already.
    source : str
        The config file, for error messages.

    Raises
    ------
    InputError
        Naming ``section.key``, the value and what was expected.
    """
    _data(task, sections["data"], source)
    _filters(sections["filters"], source)
    _tomtom(sections["tomtom"], source)
    _match(sections["match"], source)
    for name, values in extra.items():
        if name in _TASK_SECTION_CHECKS:
            _TASK_SECTION_CHECKS[name](values, source)
    dist = extra.get("distributed")
    if dist and dist["batch"] == "global":
        batch = sections["train"].get("batch_size", 100)
        if batch % dist["processes"]:
            raise InputError(
                source,
                "train.batch_size",
                f"a global batch of {batch} does not split evenly over "
                f"distributed.processes = {dist['processes']} ranks",
            )


# ------------------------------------------------------------------------------- helpers


def _int(values: dict, section: str, key: str, source: str, minimum: int) -> int:
    value = values[key]
    # bool is an int subclass: `window: true` is a typo, not 1
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise InputError(source, f"{section}.{key}", f"expected {expected}, got {value!r}")
    return int(value)


def _number(
    values: dict,
    section: str,
    key: str,
    source: str,
    low: float,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = True,
) -> float:
    value = values[key]
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (
            value < high if high_open else value <= high
        )
    if not ok:
        left = "(" if low_open else "["
        right = ")" if high_open or high == math.inf else "]"
        upper = "inf" if high == math.inf else f"{high:g}"
        raise InputError(
            source,
            f"{section}.{key}",
            f"expected a finite number in {left}{low:g}, {upper}{right}, got {value!r}",
        )
    return float(value)


def _bool(values: dict, section: str, key: str, source: str) -> None:
    if not isinstance(values[key], bool):
        raise InputError(source, f"{section}.{key}", f"expected true or false, got {values[key]!r}")


def _path_or_none(values: dict, section: str, key: str, source: str) -> None:
    value = values[key]
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InputError(source, f"{section}.{key}", f"expected a file path or null, got {value!r}")


# ------------------------------------------------------------------------- shared sections


def _data(task: str, data: dict, source: str) -> None:
    _path_or_none(data, "data", "path", source)
    generate = data["generate"]
    if not isinstance(generate, dict):
        raise InputError(source, "data.generate", f"expected a mapping, got {generate!r}")
    if not generate:
        return
    from toolkit.tasks import TASKS, resolve

    if TASKS[task].generator is None:
        raise InputError(source, "data.generate", f"{task} has no generator; remove the section")
    if task == "sequences":  # a FASTA + label table import, not a simulation
        _sequence_import(generate, source)
        return
    # the generator's own signature says which options exist, so this never goes stale
    params = inspect.signature(resolve(TASKS[task].generator)).parameters
    options = {k: p for k, p in params.items() if k != "output"}
    for key, value in generate.items():
        field = f"data.generate.{key}"
        if key not in options:
            raise InputError(source, field, f"unknown generator option; valid: {sorted(options)}")
        default = options[key].default
        if key == "pfm":
            _path_or_none(generate, "data.generate", key, source)
        elif key in ("n_seq", "seq_length"):
            _int(generate, "data.generate", key, source, minimum=1)
        elif key in ("seed", "num_plot_draws"):
            _int(generate, "data.generate", key, source, minimum=0)
        elif key == "split":
            ok = isinstance(value, list | tuple) and len(value) == 3
            ok = ok and all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) and v >= 0 for v in value
            )
            if not ok or not math.isclose(sum(value), 1.0, abs_tol=1e-6):
                raise InputError(
                    source,
                    field,
                    f"expected three fractions (train, valid, test) summing to 1, got {value!r}",
                )
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError(source, field, f"expected a list of names, got {value!r}")
        elif isinstance(default, bool):
            _bool(generate, "data.generate", key, source)
        elif isinstance(default, str) and not isinstance(value, str):
            raise InputError(source, field, f"expected a string (like {default!r}), got {value!r}")


def _sequence_import(generate: dict, source: str) -> None:
    """``data.generate`` of ``task: sequences`` (toolkit.data.sequences.sequences)."""

    allowed = {"fasta", "labels", "id_column", "label_columns", "split", "length", "resize"}
    unknown = sorted(set(generate) - allowed)
    if unknown:
        raise InputError(
            source, f"data.generate.{unknown[0]}", f"unknown option; valid: {sorted(allowed)}"
        )
    for key in ("fasta", "labels"):
        if not isinstance(generate.get(key), str):
            raise InputError(
                source, f"data.generate.{key}", "expected a file path (FASTA and label table)"
            )
    if generate.get("id_column") is not None and not isinstance(generate["id_column"], str):
        raise InputError(source, "data.generate.id_column", "expected a column name")
    columns = generate.get("label_columns")
    if columns is not None and (
        not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns)
    ):
        raise InputError(source, "data.generate.label_columns", "expected a list of column names")
    if generate.get("length") is not None:
        _int(generate, "data.generate", "length", source, minimum=1)
    if generate.get("resize", "error") not in RESIZE:
        raise InputError(
            source, "data.generate.resize", f"expected one of {RESIZE}, got {generate['resize']!r}"
        )
    split = generate.get("split")
    if split is None:
        return
    fractions, chromosomes = {"valid", "test", "seed"}, {"valid_chromosomes", "test_chromosomes"}
    if (
        not isinstance(split, dict)
        or not split
        or not (set(split) <= fractions or set(split) <= chromosomes)
    ):
        raise InputError(
            source,
            "data.generate.split",
            "expected {valid: f, test: f, seed: n} or {valid_chromosomes: [...], "
            f"test_chromosomes: [...]}}, got {split!r}",
        )
    if set(split) <= fractions:
        total = 0.0
        for key in ("valid", "test"):
            value = split.get(key, 0.1 if key == "valid" else 0.2)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
                raise InputError(
                    source,
                    f"data.generate.split.{key}",
                    f"expected a fraction in (0, 1), got {value!r}",
                )
            total += value
        if total >= 1:
            raise InputError(source, "data.generate.split", "valid + test must leave training data")
        _int(split | {"seed": split.get("seed", 0)}, "data.generate.split", "seed", source, 0)
    else:
        for key, value in split.items():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError(
                    source, f"data.generate.split.{key}", "expected a list of chromosome names"
                )


def _filters(filters: dict, source: str) -> None:
    # fraction of each filter's global max activation (spec §5.1); 0 would take every window
    _number(filters, "filters", "threshold", source, 0.0, 1.0, low_open=True, high_open=False)
    _int(filters, "filters", "window", source, minimum=1)
    # information content per DNA position is at most 2 bits
    _number(filters, "filters", "clip_threshold", source, 0.0, 2.0)
    _int(filters, "filters", "clip_pad", source, minimum=0)
    _bool(filters, "filters", "reproduce_clip_index0_bug", source)
    _bool(filters, "filters", "logos", source)


def _tomtom(tomtom: dict, source: str) -> None:
    backend = tomtom["backend"]
    if backend not in TOMTOM_BACKENDS:
        raise InputError(
            source, "tomtom.backend", f"expected one of {list(TOMTOM_BACKENDS)}, got {backend!r}"
        )
    _path_or_none(tomtom, "tomtom", "target", source)
    _number(tomtom, "tomtom", "thresh", source, 0.0, low_open=True)
    dist = tomtom["dist"]
    if dist not in TOMTOM_DISTANCES:
        raise InputError(
            source, "tomtom.dist", f"expected one of {list(TOMTOM_DISTANCES)}, got {dist!r}"
        )
    if backend == "lite" and dist not in LITE_DISTANCES:
        raise InputError(
            source,
            "tomtom.dist",
            f"the lite back-end implements only {list(LITE_DISTANCES)}, got {dist!r}; "
            "set tomtom.backend: meme for other distances",
        )
    overlap = _int(tomtom, "tomtom", "min_overlap", source, minimum=1)
    if backend == "lite" and overlap != 1:
        raise InputError(
            source,
            "tomtom.min_overlap",
            f"the lite back-end implements only min_overlap 1, got {overlap}; "
            "set tomtom.backend: meme for others",
        )


def _match(match: dict, source: str) -> None:
    _path_or_none(match, "match", "ground_truth", source)
    _bool(match, "match", "reproduce_index0_bug", source)


# -------------------------------------------------------------------------- task sections


def _plot_range(values: dict, section: str, source: str) -> None:
    start = _int(values, section, "plot_start", source, minimum=0)
    end = _int(values, section, "plot_end", source, minimum=1)
    if not start < end:
        raise InputError(
            source, f"{section}.plot_start", f"expected plot_start < plot_end, got {start}, {end}"
        )


def _indices(values: dict, section: str, key: str, count_key: str | None, source: str) -> None:
    """Integer indices >= 0, and below ``values[count_key]`` when a count bounds them."""
    count = values[count_key] if count_key else None
    bad = [
        i
        for i in values[key]
        if not isinstance(i, int)
        or isinstance(i, bool)
        or i < 0
        or (count is not None and i >= count)
    ]
    if bad and count is None:
        raise InputError(
            source, f"{section}.{key}", f"{bad} are not indices (expected integers >= 0)"
        )
    if bad:
        raise InputError(
            source,
            f"{section}.{key}",
            f"{bad} are not indices into the first {count_key}={count} sequences "
            f"(expected integers 0..{count - 1})",
        )


def _saliency(section: dict, source: str) -> None:
    _int(section, "saliency", "n_sequences", source, minimum=1)
    _int(section, "saliency", "batch_size", source, minimum=1)
    _int(section, "saliency", "class_index", source, minimum=0)
    _plot_range(section, "saliency", source)
    _indices(section, "saliency", "plot_indices", "n_sequences", source)


def _augment(section: dict, source: str) -> None:
    _bool(section, "augment", "reverse_complement", source)


def _distributed(section: dict, source: str) -> None:
    _int(section, "distributed", "processes", source, minimum=1)
    _bool(section, "distributed", "scale_lr", source)
    if section["batch"] not in ("per_rank", "global"):
        raise InputError(
            source, "distributed.batch", f"expected per_rank or global, got {section['batch']!r}"
        )
    if section["batch"] == "global" and section["scale_lr"]:
        raise InputError(
            source,
            "distributed.scale_lr",
            "a global batch keeps the learning rate: expected false with batch: global",
        )
    _number(section, "distributed", "warmup_epochs", source, 0.0)
    if section["reverse_complement"] not in ("both", "random", "none"):
        raise InputError(
            source,
            "distributed.reverse_complement",
            f"expected both, random or none, got {section['reverse_complement']!r}",
        )
    _int(section, "distributed", "chunk_rows", source, minimum=1)
    _int(section, "distributed", "buffer_chunks", source, minimum=1)
    _int(section, "distributed", "steps_per_epoch", source, minimum=0)
    _int(section, "distributed", "max_eval_sequences", source, minimum=0)


def _analysis(section: dict, source: str) -> None:
    _bool(section, "analysis", "filters", source)
    _int(section, "analysis", "filter_sequences", source, minimum=0)
    _int(section, "analysis", "saliency_class", source, minimum=0)
    _int(section, "analysis", "saliency_sequences", source, minimum=1)
    _plot_range(section, "analysis", source)
    # Task 4 plots those of its indices that exist among the sequences found (fewer than
    # saliency_sequences may qualify), so only their type and sign are checked here
    _indices(section, "analysis", "plot_indices", None, source)
    sequence = section["example_sequence"]
    odd = sorted(set(sequence.upper()) - set("ACGTN"))
    if odd:
        raise InputError(
            source,
            "analysis.example_sequence",
            f"expected a DNA sequence of A, C, G, T, N; found {''.join(odd)!r}",
        )
    _int(section, "analysis", "example_class", source, minimum=0)


# section name -> its check; the task sections are declared in their Task (toolkit.tasks)
# (attribution: check_attribution below, its Task.config_check)
_TASK_SECTION_CHECKS: dict[str, Callable[[dict, str], Any]] = {
    "saliency": _saliency,
    "augment": _augment,
    "distributed": _distributed,
    "analysis": _analysis,
}


def check_attribution(extra: dict, source: str = "config") -> None:
    """Validate the ``attribution`` section beyond its value types (Task 3, sequences: ``Task.config_check``).

    Raises
    ------
    InputError
        Unknown or repeated methods, a bad target or IG variant, non-positive counts.
    """
    section = extra.get("attribution") or {}
    methods = section.get("methods", [])
    if not methods or not all(isinstance(m, str) for m in methods):
        raise InputError(
            source,
            "attribution.methods",
            f"expected a non-empty list of {list(ATTRIBUTION_METHODS)}",
        )
    unknown = [m for m in methods if m not in ATTRIBUTION_METHODS]
    if unknown:
        raise InputError(
            source,
            "attribution.methods",
            f"unknown method {unknown[0]!r}; valid: {list(ATTRIBUTION_METHODS)}",
        )
    if len(set(methods)) != len(methods):
        raise InputError(source, "attribution.methods", f"methods repeated in {methods}")
    if section.get("target") not in ATTRIBUTION_TARGETS:
        raise InputError(
            source,
            "attribution.target",
            f"expected one of {ATTRIBUTION_TARGETS}, got {section.get('target')!r}",
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
