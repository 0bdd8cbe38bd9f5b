"""The sections every task's config takes, declared once, and the checks of a config's sections.

:data:`SECTIONS` holds the fixed-key sections of every config (``data``, ``filters``,
``tomtom``, ``match``): per key its default, its rule and a line of help
(:class:`toolkit.config.schema.Section`). The parser takes their keys and defaults from it,
:func:`check_sections` their rules, ``expact sections`` (:func:`describe_config`) their help.
The ``train`` section is :class:`toolkit.config.train.TrainConfig`, the ``model`` section
:data:`toolkit.config.model.MODEL`, a task's own sections its ``Task.sections``
(:mod:`toolkit.tasks`), each declared the same way.

:func:`check_sections` is called by :func:`toolkit.config.parse_config` after unknown keys
were rejected and defaults merged. It checks what can be known from the config alone; what
needs the data (a class index against the number of label columns, a sequence against the
data's length) is checked by :func:`toolkit.config.inputs.check_inputs`.
"""

from __future__ import annotations

import inspect
import math
import numbers

from toolkit.config.names import (
    BACKGROUND_METHODS,
    LITE_DISTANCES,
    OFF_CHROMOSOME,
    PEAK_SPLIT,
    RESIZE,
    SEQUENCE_SPLIT,
    TOMTOM_BACKENDS,
    TOMTOM_DISTANCES,
)
from toolkit.config.schema import (
    Boolean,
    Custom,
    InputFile,
    Integer,
    Key,
    MappingOf,
    NameList,
    Number,
    OneOf,
    Optional,
    Section,
)
from toolkit.errors import InputError
from toolkit.tasks import TASKS, resolve

__all__ = [
    "DEFAULTS",
    "SECTIONS",
    "SPEC_SECTIONS",
    "TOP_LEVEL",
    "check_sections",
    "describe_config",
    "global_batch_keeps_rate",
]


def _lite_limits(tomtom: dict, name: str, source) -> None:
    """backend lite: dist ed and min_overlap 1 only (what the lite back-end implements)."""
    if tomtom["backend"] != "lite":
        return
    if tomtom["dist"] not in LITE_DISTANCES:
        raise InputError(
            source,
            f"{name}.dist",
            f"the lite back-end implements only {list(LITE_DISTANCES)}, got {tomtom['dist']!r}; "
            "set tomtom.backend: meme for other distances",
        )
    if tomtom["min_overlap"] != 1:
        raise InputError(
            source,
            f"{name}.min_overlap",
            f"the lite back-end implements only min_overlap 1, got {tomtom['min_overlap']}; "
            "set tomtom.backend: meme for others",
        )


# every fixed-key section of a config, with its defaults: the paper's settings (spec §4-§5)
SECTIONS: dict[str, Section] = {
    "data": Section(
        {
            "path": Key(
                None,
                InputFile(),
                "an existing HDF5 data set; null: generate into <results>/data/<task>.h5",
            ),
            "generate": Key(
                {},
                MappingOf("a mapping of the generator's options"),
                "the options of the task's generator (Task.generator; its signature names them)",
            ),
        }
    ),
    "filters": Section(
        {
            # 0 would take every window
            "threshold": Key(
                0.5,
                Number(0.0, 1.0, low_open=True, high_open=False),
                "fraction of each filter's global max activation (spec §5.1)",
            ),
            "window": Key(20, Integer(1), "nucleotides aligned around each activation"),
            "clip_threshold": Key(
                0.5, Number(0.0, 2.0), "bits; information content per DNA position is <= 2"
            ),
            "clip_pad": Key(3, Integer(0), "positions kept beside the informative ones"),
            "reproduce_clip_index0_bug": Key(False, Boolean(), "the original's clipping bug"),
            "logos": Key(True, Boolean(), "draw the filter logos"),
        }
    ),
    "tomtom": Section(
        {
            "backend": Key(
                "lite",
                OneOf(TOMTOM_BACKENDS),
                "lite (memelite, built in) | meme (the MEME Suite binary)",
            ),
            "target": Key(
                None,
                InputFile(),
                "JASPAR MEME file; null: JASPAR 2016 CORE vertebrates from pyjaspar",
            ),
            "thresh": Key(
                0.1,
                Number(0.0, low_open=True),
                "E-value threshold, as `tomtom -evalue -thresh 0.1`",
            ),
            "dist": Key("ed", OneOf(TOMTOM_DISTANCES), "tomtom -dist (lite: ed only)"),
            "min_overlap": Key(1, Integer(1), "tomtom -min-overlap (lite: 1 only)"),
        },
        checks=[_lite_limits],
    ),
    "match": Section(
        {
            "ground_truth": Key(
                None, InputFile(), "JSON of TF -> JASPAR IDs; null: the paper's lists"
            ),
            "reproduce_index0_bug": Key(False, Boolean(), "the original's match_fraction bug"),
        }
    ),
}

# the sections of a run spec, in its order: train is TrainConfig's (toolkit.config.train)
SPEC_SECTIONS = ("data", "train", "filters", "tomtom", "match")
# every section of a run spec with its defaults (a view of the tables above); train's are
# TrainConfig's, left out of specs while not given (their hashes)
DEFAULTS: dict[str, dict] = {
    name: dict(SECTIONS[name]) if name in SECTIONS else {} for name in SPEC_SECTIONS
}
# the keys of a config's top level: the grid, the model section, vary, the spec's sections
# (a task's own sections come from its record)
TOP_LEVEL = {"task", "name", "models", "activations", "trials", "seed", "model", "vary", *DEFAULTS}


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
    for name, section in SECTIONS.items():
        section.check(sections[name], name, source)
    _generator_options(task, sections["data"]["generate"], source)
    for name, values in extra.items():
        TASKS[task].sections[name].check(values, name, source)
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


def global_batch_keeps_rate(values: dict, name: str, source) -> None:
    """batch global: scale_lr false (a global batch keeps the learning rate; Task 4)."""
    if values["batch"] == "global" and values["scale_lr"]:
        raise InputError(
            source,
            f"{name}.scale_lr",
            "a global batch keeps the learning rate: expected false with batch: global",
        )


# --------------------------------------------------------------------- generator options


def _generator_options(task: str, generate: dict, source: str) -> None:
    """``data.generate``: the options of the task's generator, typed by their defaults."""
    if not generate:
        return
    if TASKS[task].generator is None:
        raise InputError(source, "data.generate", f"{task} has no generator; remove the section")
    # the generator's own signature says which options exist, so this never goes stale
    params = inspect.signature(resolve(TASKS[task].generator)).parameters
    options = {k: p for k, p in params.items() if k != "output"}
    if task == "sequences":  # a FASTA + label table import, not a simulation
        _sequence_import(generate, sorted(options), source)
        return
    for key, value in generate.items():
        field = f"data.generate.{key}"
        if key not in options:
            raise InputError(source, field, f"unknown generator option; valid: {sorted(options)}")
        default = options[key].default
        if key == "pfm":
            InputFile()(value, field, source)
        elif key in ("n_seq", "seq_length"):
            Integer(1)(value, field, source)
        elif key in ("seed", "num_plot_draws"):
            Integer(0)(value, field, source)
        elif key == "split":
            _fractions(value, field, source)
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError(source, field, f"expected a list of names, got {value!r}")
        elif isinstance(default, bool):
            Boolean()(value, field, source)
        elif isinstance(default, str) and not isinstance(value, str):
            raise InputError(source, field, f"expected a string (like {default!r}), got {value!r}")


def _fractions(value, field: str, source: str) -> None:
    """Three fractions (train, valid, test) summing to 1."""
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


def _peak_files(value, field: str, source) -> None:
    """One peak file, a list of them or ``{output name: file}``; every file must exist."""
    if isinstance(value, dict):
        files = list(value.values())
    else:
        files = [value] if isinstance(value, str) else value
    if not isinstance(files, list) or not files:
        raise InputError(source, field, "expected a peak file, a list of files or {name: file}")
    for k, path in enumerate(files):
        InputFile()(path, f"{field}[{k}]" if len(files) > 1 else field, source)
        if path is None:
            raise InputError(source, field, "expected a peak file, not null")


def _names(value, field: str, source) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(source, field, f"expected a list of chromosome names, got {value!r}")


def _chromosome_split(value, field: str, source) -> None:
    keys = {"valid_chromosomes", "test_chromosomes"}
    if not isinstance(value, dict) or not value or not set(value) <= keys:
        raise InputError(
            source,
            field,
            "peaks are split by chromosome: expected {valid_chromosomes: [...], "
            f"test_chromosomes: [...]}}, got {value!r}",
        )
    for key, names in value.items():
        _names(names, f"{field}.{key}", source)
    both = set(value.get("valid_chromosomes") or ()) & set(value.get("test_chromosomes") or ())
    if both:
        raise InputError(source, field, f"{sorted(both)} in both the valid and the test split")


#: data.generate.background of the peaks route (toolkit.data.background)
BACKGROUND = Section(
    {
        "methods": Key(
            ["gc_matched"], NameList(BACKGROUND_METHODS, "method"), "how negatives are made"
        ),
        "ratio": Key(1.0, Number(0.0, low_open=True), "negatives per positive, in every split"),
        "seed": Key(0, Integer(0), "the seed of every draw (shuffle k: default_rng([seed, k]))"),
    }
)


def _background(value, field: str, source) -> None:
    if not isinstance(value, dict):
        raise InputError(
            source, field, f"expected a mapping of {sorted(BACKGROUND)}, got {value!r}"
        )
    BACKGROUND.reject_unknown(value, field, source)
    BACKGROUND.check(value, field, source)


def _peaks_required(values: dict, name: str, source) -> None:
    for key in ("peaks", "genome", "length"):
        if values.get(key) is None:
            raise InputError(source, f"{name}.{key}", "needed with data.generate.peaks")


#: data.generate of task: sequences made from peak files and a genome (toolkit.data.peaks)
PEAK_IMPORT = Section(
    {
        "peaks": Key(
            None,
            Custom(_peak_files, "a peak file, a list of them or {output: file}"),
            "BED3+/narrowPeak files, gzipped or not: each file one output (or see output_column)",
        ),
        "genome": Key(
            None, InputFile(), "the genome FASTA (plain or bgzip; .fai built if missing)"
        ),
        "length": Key(
            None, Optional(Integer(1)), "window length, centred on the summit, else the centre"
        ),
        "output_column": Key(
            None, Optional(Integer(4)), "a BED column (1-based) whose values name the outputs"
        ),
        "chromosomes": Key(
            None,
            Optional(Custom(_names, "a list of chromosome names")),
            "those kept; null: every one without '_' in its name, less chrM/MT/chrEBV",
        ),
        "exclude_chromosomes": Key(
            None, Optional(Custom(_names, "a list of chromosome names")), "those left out"
        ),
        "split": Key(
            PEAK_SPLIT,
            Custom(_chromosome_split, "{valid_chromosomes: [...], test_chromosomes: [...]}"),
            "by chromosome; the default is DeepSEA's (test chr8, chr9; valid chr7)",
        ),
        "blacklist": Key(None, InputFile(), "BED of regions no window may overlap"),
        "off_chromosome": Key(
            "drop",
            OneOf(OFF_CHROMOSOME),
            "a window running off its chromosome: drop|shift|pad|error",
        ),
        "max_n_fraction": Key(
            0.1, Number(0.0, 1.0, high_open=False), "windows with more N dropped"
        ),
        "background": Key(
            None,
            Optional(Custom(_background, "{methods: [...], ratio: r, seed: s}")),
            f"negatives made for you: methods out of {list(BACKGROUND_METHODS)}",
        ),
    },
    checks=[_peaks_required],
)


def _sequence_import(generate: dict, allowed: list[str], source: str) -> None:
    """``data.generate`` of ``task: sequences`` (toolkit.data.sequences.sequences)."""
    if "peaks" in generate or "genome" in generate:
        PEAK_IMPORT.reject_unknown(
            generate,
            "data.generate",
            "not an option of peaks + genome (FASTA + labels take fasta and labels); valid: {valid}",
        )
        PEAK_IMPORT.check(PEAK_IMPORT | generate, "data.generate", source)
        return
    unknown = sorted(set(generate) - set(allowed))
    if unknown:
        raise InputError(source, f"data.generate.{unknown[0]}", f"unknown option; valid: {allowed}")
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
        Integer(1)(generate["length"], "data.generate.length", source)
    if "resize" in generate:
        OneOf(RESIZE, "expected one of {choices}, got {value!r}")(
            generate["resize"], "data.generate.resize", source
        )
    if generate.get("split") is not None:
        _sequence_split(generate["split"], source)


def _sequence_split(split, source: str) -> None:
    """``{valid: f, test: f, seed: n}`` (defaults :data:`SEQUENCE_SPLIT`) or chromosome lists."""
    fractions, chromosomes = set(SEQUENCE_SPLIT), {"valid_chromosomes", "test_chromosomes"}
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
    if set(split) <= chromosomes:
        for key, value in split.items():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError(
                    source, f"data.generate.split.{key}", "expected a list of chromosome names"
                )
        return
    split = SEQUENCE_SPLIT | split
    for key in ("valid", "test"):
        value = split[key]
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
            raise InputError(
                source,
                f"data.generate.split.{key}",
                f"expected a fraction in (0, 1), got {value!r}",
            )
    if split["valid"] + split["test"] >= 1:
        raise InputError(source, "data.generate.split", "valid + test must leave training data")
    Integer(0)(split["seed"], "data.generate.split.seed", source)


# ----------------------------------------------------------------------------------- help


def describe_config(task: str | None = None) -> str:
    """Every key a config may hold, its default, rule and help: ``expact sections [TASK]``.

    With a task, its own sections follow the shared ones; without, every task's sections,
    each with the tasks that take it.
    """
    from toolkit.config.model import MODEL
    from toolkit.config.train import TRAIN

    shared = {"train": TRAIN, **SECTIONS, "model": MODEL}
    if task in (None, "sequences"):  # data.generate of the sequences task's peaks route
        shared |= {"data.generate": PEAK_IMPORT}  # with peaks (else: fasta, labels, ...)
        shared |= {"data.generate.background": BACKGROUND}
    lines = [f"top-level keys: {', '.join(sorted(TOP_LEVEL))}", ""]
    for name, section in shared.items():
        lines += [f"[{name}]", *section.describe(name), ""]
    tasks = [TASKS[task]] if task else list(TASKS.values())
    done: set[int] = set()
    for entry in tasks:
        for name, section in entry.sections.items():
            if id(section) in done:
                continue
            done.add(id(section))
            takers = [t.name for t in TASKS.values() if t.sections.get(name) is section]
            lines += [f"[{name}] ({', '.join(takers)} only)", *section.describe(name), ""]
    return "\n".join(lines).rstrip() + "\n"
