"""Tasks and re-analyses, one record each, registered once.

A :class:`Task` says everything the rest of the toolkit needs to know about one task: the
step that runs one spec, the generator of its data set (or where users get it), the task
number of the validating loader, the config sections only it takes (each key with its
default, rule and help), the check of its data file, its early-stopping monitor and the
report tables its runs make. The config parser, the input checks, the sweep, the array jobs
and the report all read :data:`TASKS`.

Functions are named as ``"package.module:function"`` strings, resolved only when called, so
this module imports only the leaves that declare a config section
(:mod:`toolkit.config.schema`, :mod:`toolkit.config.names`; no TensorFlow): it is a leaf
that every layer may read. Adding a task is its step module plus one :func:`register` call
below (see docs/architecture.md, "Adding a task").

An :class:`Analysis` is the same for a re-analysis of finished runs (``expact analyze``):
its step, the parameter it varies with its value type and range, the tasks it applies to and
its own options (see docs/architecture.md, "Adding an analysis").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from toolkit.config.names import (
    ATTRIBUTION_METHODS,
    ATTRIBUTION_TARGETS,
    CORRECTIONS,
    GRADIENT_METHODS,
    IG_VARIANTS,
)
from toolkit.config.schema import (
    Boolean,
    DnaSequence,
    Indices,
    IndicesBelow,
    Integer,
    Key,
    NameList,
    Number,
    OneOf,
    Ordered,
    Section,
)

#: The report's tables of a sweep's runs, ``{task}_{name}.tsv`` (:mod:`toolkit.report.tables`,
#: ``expact summarize``): test AUROC/AUPR; first-layer filters matching JASPAR (and the
#: ground truth); the TFs those filters match (real data); attribution AUROC/AUPR per method
#: (corrected maps beside the uncorrected); the gradients' off-simplex statistics.
REPORT_TABLES = (
    "classification_performance",
    "filter_results",
    "filter_tfs",
    "attribution_results",
    "off_simplex",
)


def resolve(target: str) -> Callable:
    """Import ``"package.module:function"`` and return the function."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Task:
    """One task a sweep config may name (``task:``).

    Attributes
    ----------
    name : str
        The config's ``task`` value.
    step : str
        The step that runs one spec: ``fn(spec, run_dir, progress=True) -> record dict``.
    loader : int or str or None
        The task the validating loader (:func:`toolkit.data.load.load`) checks the data set
        against (label columns, ``model_*``); None when the data set is too large to load
        and :attr:`data_check` checks its layout instead.
    generator : str or None
        Writes the task's data set: ``fn(output, **data.generate) -> Path``; None when users
        bring the data set (:attr:`data_source` says where they get it).
    data_source : str or None
        Where users get the data set of a task without a generator.
    sections : dict of Section
        Config sections only this task takes: per key its default, rule and help
        (:class:`toolkit.config.schema.Section`; a plain dict of defaults is a section whose
        values take their defaults' types). A spec carries them in ``RunSpec.extra`` (tasks
        without any keep ``extra`` empty, and their spec hashes).
    data_check : str or None
        A check of the data file's layout from metadata, instead of loading it:
        ``fn(path)``, raises InputError.
    monitor : str or None
        Early-stopping monitor when the config's ``train`` section names none (spec §4);
        None keeps TrainConfig's default, ``val_aupr`` (Task 1).
    ground_truth : bool
        Its step scores filter matches against the ground-truth TF lists (Tasks 1, 2).
    report_tables : tuple of str
        The tables of :data:`REPORT_TABLES` its runs make in the report and in ``expact
        summarize`` (each where the runs hold its numbers).
    training_history : bool
        The report draws its runs' ``history.json`` (the training-history figure).
    """

    name: str
    step: str
    loader: int | str | None
    generator: str | None = None
    data_source: str | None = None
    sections: dict[str, Section] = field(default_factory=dict)
    data_check: str | None = None
    monitor: str | None = None
    ground_truth: bool = False
    report_tables: tuple[str, ...] = ("classification_performance",)
    training_history: bool = True

    def __post_init__(self) -> None:
        sections = {
            k: v if isinstance(v, Section) else Section(v) for k, v in self.sections.items()
        }
        object.__setattr__(self, "sections", sections)
        _check_report_tables(self)

    def run_step(self) -> Callable:
        return resolve(self.step)


@dataclass(frozen=True)
class Analysis:
    """One re-analysis of finished runs (``expact analyze``, ``analysis:`` in its config).

    Attributes
    ----------
    name : str
        The config's ``analysis`` value; also the ``task`` of its specs.
    step : str
        ``fn(spec, run_dir, progress=True) -> record dict``, the signature of a task's step.
    parameter : str
        What it varies (``values`` of the analysis config).
    kind : type
        The values' type: float, int or str.
    tasks : tuple of str
        The tasks whose runs it re-analyses.
    range : tuple or None
        Inclusive bounds of numeric values.
    choices : tuple or None
        The allowed string values.
    params : Section
        Its own options (``params`` of the analysis config): per key its default, rule and
        help (a plain dict of defaults: no rule).
    sets : str or None
        ``"section.key"`` of the run spec the value replaces (e.g. ``filters.threshold``);
        None when the step reads the value from ``extra["analysis"]`` only.
    report_tables : tuple of str
        As :attr:`Task.report_tables`, for the runs of the analysis.
    """

    name: str
    step: str
    parameter: str
    kind: type
    tasks: tuple[str, ...]
    range: tuple | None = None
    choices: tuple | None = None
    params: Section = field(default_factory=Section)
    sets: str | None = None
    report_tables: tuple[str, ...] = ("classification_performance",)

    def __post_init__(self) -> None:
        if not isinstance(self.params, Section):
            object.__setattr__(self, "params", Section(self.params))
        _check_report_tables(self)

    def run_step(self) -> Callable:
        return resolve(self.step)


def _check_report_tables(entry: Task | Analysis) -> None:
    unknown = sorted(set(entry.report_tables) - set(REPORT_TABLES))
    if unknown:
        raise ValueError(f"{entry.name}: no report table {unknown}; tables: {REPORT_TABLES}")


TASKS: dict[str, Task] = {}
ANALYSES: dict[str, Analysis] = {}


def register(entry: Task | Analysis) -> Task | Analysis:
    """Add a task or an analysis; a name is registered once."""
    table = TASKS if isinstance(entry, Task) else ANALYSES
    if entry.name in TASKS or entry.name in ANALYSES:
        raise ValueError(f"{entry.name!r} is registered already")
    table[entry.name] = entry
    return entry


def run_step(name: str) -> Callable:
    """The step of a task or of an analysis (a spec's ``task``)."""
    entry = TASKS.get(name) or ANALYSES[name]
    return entry.run_step()


# --- the sections of more than one task ----------------------------------------------------

_ATTRIBUTION = Section(  # spec §6
    {
        "methods": Key(
            ["saliency", "mutagenesis", "integrated_gradients", "deepshap"],
            NameList(ATTRIBUTION_METHODS, "method"),
        ),
        "n_sequences": Key(500, Integer(1), "the first N positive test sequences, in test order"),
        "class_index": Key(0, Integer(0), "the output explained"),
        "target": Key(
            "prob",
            OneOf(ATTRIBUTION_TARGETS, "expected one of {choices}, got {value!r}"),
            "prob: the sigmoid output, as the paper | logit",
        ),
        "ig_references": Key(10, Integer(1), "shuffled references of integrated gradients"),
        "ig_steps": Key(20, Integer(1), "path points per reference"),
        "ig_variant": Key(
            "paper",
            OneOf(IG_VARIANTS, "expected one of {choices}, got {value!r}"),
            "paper: mean path gradient | standard: (x - x') x mean gradient",
        ),
        "shap_references": Key(
            10, Integer(1), "shuffled copies of each sequence as its DeepSHAP background"
        ),
        "info_threshold": Key(
            0.01,
            Number(0.0, message="expected a number of bits >= 0"),
            "bits: ground-truth positions of the scoring mask",
        ),
        "save_maps": Key(True, Boolean(), "attribution_maps.npz: (N, L, 4) float32 per method"),
        "logo_sequences": Key(3, Integer(0), "sequences drawn as attribution logos (0: none)"),
        "correction": Key(
            "none",
            OneOf(CORRECTIONS, "expected one of {choices}, got {value!r}"),
            "simplex gradient correction of saliency, IG and DeepSHAP (Majdandzic et al. "
            "2023): none | simplex (corrected maps, as <method>_corrected) | both (corrected "
            "and uncorrected, side by side)",
            omit_default=True,  # added later: the specs of earlier runs keep their hashes
        ),
    }
)
_CHIP_SECTIONS = {  # Tasks 5 and 6 (spec §7): RC augmentation, saliency on test positives
    "augment": Section(
        {"reverse_complement": Key(True, Boolean(), "train on both strands (spec §7)")}
    ),
    "saliency": Section(
        {
            "n_sequences": Key(500, Integer(1), "the first N positive test sequences, in order"),
            "class_index": Key(0, Integer(0), "the output explained"),
            "batch_size": Key(256, Integer(1)),
            "plot_indices": Key(
                [], help="indices into those N sequences (the paper's hand-picked ones)"
            ),
            "plot_start": Key(50, Integer(0), "plotted positions [plot_start, plot_end)"),
            "plot_end": Key(350, Integer(1)),
        },
        checks=[Ordered("plot_start", "plot_end"), IndicesBelow("plot_indices", "n_sequences")],
    ),
}
_PAPER_REPO = "from the paper's repository p-koo/exponential_activations, folder data/"
_REAL_DATA_TABLES = ("classification_performance", "filter_results", "filter_tfs")

# --- the tasks -----------------------------------------------------------------------------

register(
    Task(
        "task1",
        step="toolkit.steps.task1:task1",
        loader=1,
        generator="toolkit.data.task1:task1",
        ground_truth=True,
        report_tables=("classification_performance", "filter_results"),
    )
)
register(
    Task(
        "task2",
        step="toolkit.steps.task1:task1",  # Task 1's step: the same 12 TFs, input 1000 (x2 widths)
        loader=2,
        data_source="the truncated DeepSEA set: `expact data task2 --deepsea DIR --out FILE` "
        "builds it from deepsea_train_bundle.v0.9.tar.gz",
        ground_truth=True,
        report_tables=("classification_performance", "filter_results"),
    )
)
register(
    Task(
        "task3",
        step="toolkit.steps.task3:task3",
        loader=3,
        generator="toolkit.data.task3:task3",
        sections={"attribution": _ATTRIBUTION},
        monitor="val_auroc",
        report_tables=("classification_performance", "attribution_results", "off_simplex"),
    )
)
register(
    Task(
        "task4",
        step="toolkit.steps.task4:task4",
        loader=None,  # too large for the in-memory loader: streamed (toolkit.data.basset)
        data_source="er.h5, the Basset data set (about 10 GB; Kelley et al. 2016, the paper's "
        "Task 4 input), or a file of its layout",
        sections={
            "distributed": Section(  # Horovod data parallelism (toolkit.training.distributed)
                {
                    "processes": Key(
                        2, Integer(1), "tasks of the Slurm job `expact submit` asks for"
                    ),
                    "batch": Key(
                        "per_rank",
                        OneOf(("per_rank", "global"), "expected per_rank or global, got {value!r}"),
                        "per_rank: train.batch_size per rank (global batch = batch_size x "
                        "ranks); global: train.batch_size is the global batch, split evenly "
                        "over the ranks",
                    ),
                    "scale_lr": Key(
                        True, Boolean(), "learning rate x ranks (per_rank batches only)"
                    ),
                    "warmup_epochs": Key(1.0, Number(0.0), "linear warm-up from the unscaled rate"),
                    "reverse_complement": Key(
                        "both",
                        OneOf(
                            ("both", "random", "none"),
                            "expected both, random or none, got {value!r}",
                        ),
                        "both (as the paper) | random | none",
                    ),
                    "chunk_rows": Key(2048, Integer(1), "streaming loader: rows per HDF5 read"),
                    "buffer_chunks": Key(4, Integer(1), "... and chunks shuffled together"),
                    "steps_per_epoch": Key(
                        0, Integer(0), "0: a full pass per epoch; > 0: cap (quick runs)"
                    ),
                    "max_eval_sequences": Key(
                        0, Integer(0), "0: all; > 0: evaluate on the first ones (quick runs)"
                    ),
                },
                checks=["toolkit.config.sections:global_batch_keeps_rate"],
            ),
            "analysis": Section(  # after training, on rank 0 (spec §7, task4_step2/step3)
                {
                    "filters": Key(
                        True,
                        Boolean(),
                        "300 first-layer filters -> PPMs (whole test split) -> Tomtom",
                    ),
                    "filter_sequences": Key(
                        0, Integer(0), "0: the whole test split; > 0: its first ones"
                    ),
                    "saliency_class": Key(
                        4, Integer(0), "saliency x input on test sequences positive only for it"
                    ),
                    "saliency_sequences": Key(100, Integer(1), "... the first ones without N"),
                    # plotted: those of the indices among the sequences found (fewer than
                    # saliency_sequences may qualify), so only their type and sign are checked
                    "plot_indices": Key(list(range(10)), Indices()),
                    "plot_start": Key(150, Integer(0), "plotted positions [plot_start, plot_end)"),
                    "plot_end": Key(450, Integer(1)),
                    "example_sequence": Key(
                        "",
                        DnaSequence(),
                        "a 600-nt sequence (e.g. Basset Fig. 4, chr9 region)",
                    ),
                    "example_class": Key(113, Integer(0), "... explained for this class (H1-hESC)"),
                },
                checks=[Ordered("plot_start", "plot_end")],
            ),
        },
        data_check="toolkit.data.basset:check_layout",
        monitor="val_auroc",
        report_tables=_REAL_DATA_TABLES,
        training_history=False,
    )
)
register(
    Task(
        "task5",
        step="toolkit.steps.chip:chip",
        loader=5,
        data_source=f"ZBED2_400_h3k27ac.h5 {_PAPER_REPO}",
        sections=_CHIP_SECTIONS,
        monitor="val_auroc",
        report_tables=_REAL_DATA_TABLES,
    )
)
register(
    Task(
        "task6",
        step="toolkit.steps.chip:chip",
        loader=6,
        data_source=f"IRF1_400_h3k27ac.h5 {_PAPER_REPO}",
        sections=_CHIP_SECTIONS,
        monitor="val_auroc",
        report_tables=_REAL_DATA_TABLES,
    )
)
register(
    Task(
        "sequences",  # users' own data (FASTA + labels, or HDF5)
        step="toolkit.steps.sequences:sequences",
        loader="sequences",
        generator="toolkit.data.sequences:sequences",  # a FASTA + label table import
        sections={
            "motifs": Section(  # the Tomtom target when tomtom.target is null: a JASPAR set
                {
                    "release": Key("JASPAR2024", help="a pyjaspar release"),
                    "collection": Key("CORE", help="its collection"),
                    "tax_group": Key("vertebrates", help="its taxonomic group"),
                    # issue 20: noisy filters "match" long low-information targets (the
                    # extended CTCF motifs of JASPAR 2022+); measured in docs/motif_matching.md
                    "min_mean_ic": Key(
                        1.0,
                        Number(0.0, 2.0, high_open=False),
                        "bits: target motifs with a lower mean information per column are left "
                        "out of the Tomtom target (whichever file it is); 0 keeps every motif",
                    ),
                }
            ),
            # as Task 3's; scored only where the data have ground truth; n_sequences: the first
            # N test sequences with label class_index == 1
            "attribution": _ATTRIBUTION.with_defaults(n_sequences=200),
        },
        monitor="val_auroc",
        report_tables=(*_REAL_DATA_TABLES, "attribution_results", "off_simplex"),
        training_history=False,
    )
)

# --- the re-analyses of finished runs (their specs never come from a sweep config) ----------

register(
    Analysis(  # Supp Fig 15: activation threshold of the filter alignment
        "filter_threshold",
        step="toolkit.steps.reanalysis:filter_threshold",
        parameter="threshold",
        kind=float,
        range=(0.0, 1.0),
        tasks=("task1", "task2"),
        sets="filters.threshold",
        report_tables=("classification_performance", "filter_results"),
    )
)
register(
    Analysis(  # Supp Fig 16: shuffled references of IG and DeepSHAP
        "attribution_references",
        step="toolkit.steps.reanalysis:attribution_references",
        parameter="references",
        kind=int,
        range=(1, 10_000),
        tasks=("task3",),
        params=Section(
            {
                "methods": Key(
                    ["deepshap", "integrated_gradients"],
                    NameList(("deepshap", "integrated_gradients"), "method"),
                ),
                "n_sequences": Key(500, Integer(1), "the first N positive test sequences"),
            }
        ),
        report_tables=("classification_performance", "attribution_results"),
    )
)
register(
    Analysis(  # issue 21: gradient correction of finished Task 3 runs, without retraining
        "attribution_correction",
        step="toolkit.steps.reanalysis:attribution_correction",
        parameter="correction",
        kind=str,
        choices=CORRECTIONS,
        tasks=("task3",),
        params=Section(
            {
                "methods": Key(list(GRADIENT_METHODS), NameList(ATTRIBUTION_METHODS, "method")),
                "n_sequences": Key(500, Integer(1), "the first N positive test sequences"),
            }
        ),
        report_tables=("classification_performance", "attribution_results", "off_simplex"),
    )
)
register(
    Analysis(  # issue 21: how far input gradients lie off the simplex plane (any task)
        "off_simplex",
        step="toolkit.steps.reanalysis:off_simplex",
        parameter="state",
        kind=str,
        choices=("trained", "untrained"),
        tasks=("task1", "task2", "task3"),
        params=Section(
            {
                "n_sequences": Key(
                    500, Integer(1), "per class: the first N test sequences positive for it"
                ),
                "classes": Key(
                    [], Indices(), "output columns explained ([]: every column of the model)"
                ),
                "target": Key(
                    "prob",
                    OneOf(ATTRIBUTION_TARGETS, "expected one of {choices}, got {value!r}"),
                    "prob: the sigmoid output | logit",
                ),
            }
        ),
        report_tables=("classification_performance", "off_simplex"),
    )
)
register(
    Analysis(  # Ext Data Fig 1c,d: motif localisation by the CNN's scan and by PWMs
        "localisation",
        step="toolkit.steps.reanalysis:localisation",
        parameter="scan",
        kind=str,
        choices=("cnn", "ppm", "pwm"),
        tasks=("task1",),
        params=Section(
            {
                "buffer": Key(10, Integer(0), "nt by which motif positions are dilated"),
                "info_threshold": Key(
                    0.01,
                    Number(0.0, message="expected bits >= 0, got {value!r}"),
                    "bits: ground-truth positions of a motif",
                ),
            }
        ),
    )
)
register(
    Analysis(  # Supp Fig 10: first-layer values before and after the activation
        "activations",
        step="toolkit.steps.reanalysis:activations",
        parameter="state",
        kind=str,
        choices=("trained", "untrained"),
        tasks=("task1", "task2", "task3"),
        params=Section({"n_sequences": Key(100, Integer(1), "test sequences drawn")}),
    )
)
