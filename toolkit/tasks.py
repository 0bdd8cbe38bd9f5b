"""Tasks and re-analyses, one record each, registered once.

A :class:`Task` says everything the rest of the toolkit needs to know about one task: the
step that runs one spec, the generator of its data set (or where users get it), the task
number of the validating loader, the config sections only it takes (with their defaults),
the checks of those sections and of its data file, and its early-stopping monitor. The
config parser, the input checks, the sweep and the array jobs all read :data:`TASKS`.

Functions are named as ``"package.module:function"`` strings, resolved only when called, so
this module imports nothing (no TensorFlow, nothing of the toolkit): it is a leaf that every
layer may read. Adding a task is its step module plus one :func:`register` call below (see
docs/architecture.md, "Adding a task").

An :class:`Analysis` is the same for a re-analysis of finished runs (``expact analyze``):
its step, the parameter it varies with its value type and range, the tasks it applies to and
its own options (see docs/architecture.md, "Adding an analysis").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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
    sections : dict
        Config sections only this task takes, with their defaults; a spec carries them in
        ``RunSpec.extra`` (tasks without any keep ``extra`` empty, and their spec hashes).
    config_check : str or None
        A check of those sections beyond their value types: ``fn(extra, source)``, raises
        InputError (called by the config parser, before any compute).
    data_check : str or None
        A check of the data file's layout from metadata, instead of loading it:
        ``fn(path)``, raises InputError.
    monitor : str or None
        Early-stopping monitor when the config's ``train`` section names none (spec §4);
        None keeps TrainConfig's default, ``val_aupr`` (Task 1).
    ground_truth : bool
        Its step scores filter matches against the ground-truth TF lists (Tasks 1, 2).
    """

    name: str
    step: str
    loader: int | str | None
    generator: str | None = None
    data_source: str | None = None
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    config_check: str | None = None
    data_check: str | None = None
    monitor: str | None = None
    ground_truth: bool = False

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
    params : dict
        Its own options, with their defaults (``params`` of the analysis config).
    sets : str or None
        ``"section.key"`` of the run spec the value replaces (e.g. ``filters.threshold``);
        None when the step reads the value from ``extra["analysis"]`` only.
    """

    name: str
    step: str
    parameter: str
    kind: type
    tasks: tuple[str, ...]
    range: tuple | None = None
    choices: tuple | None = None
    params: dict[str, Any] = field(default_factory=dict)
    sets: str | None = None

    def run_step(self) -> Callable:
        return resolve(self.step)


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

_ATTRIBUTION = {  # spec §6; checked by toolkit.config.sections:check_attribution
    "methods": ["saliency", "mutagenesis", "integrated_gradients", "deepshap"],
    "n_sequences": 500,  # the first N positive test sequences, in test order
    "class_index": 0,
    "target": "prob",  # prob: the sigmoid output, as the paper | logit
    "ig_references": 10,  # shuffled references of integrated gradients
    "ig_steps": 20,  # path points per reference
    "ig_variant": "paper",  # paper: mean path gradient | standard: (x - x') x mean gradient
    "shap_references": 10,  # shuffled copies of each sequence as its DeepSHAP background
    "info_threshold": 0.01,  # bits: ground-truth positions of the scoring mask
    "save_maps": True,  # attribution_maps.npz: (N, L, 4) float32 per method
    "logo_sequences": 3,  # sequences drawn as attribution logos (0: none)
}
_CHIP_SECTIONS = {  # Tasks 5 and 6 (spec §7): RC augmentation, saliency on test positives
    "augment": {"reverse_complement": True},
    "saliency": {
        "n_sequences": 500,  # the first N positive test sequences, in test order
        "class_index": 0,
        "batch_size": 256,
        "plot_indices": [],  # indices into those N sequences (the paper's hand-picked ones)
        "plot_start": 50,  # plotted positions [plot_start, plot_end)
        "plot_end": 350,
    },
}
_PAPER_REPO = "from the paper's repository p-koo/exponential_activations, folder data/"
_CHECK_ATTRIBUTION = "toolkit.config.sections:check_attribution"

# --- the tasks -----------------------------------------------------------------------------

register(
    Task(
        "task1",
        step="toolkit.steps.task1:task1",
        loader=1,
        generator="toolkit.data.task1:task1",
        ground_truth=True,
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
    )
)
register(
    Task(
        "task3",
        step="toolkit.steps.task3:task3",
        loader=3,
        generator="toolkit.data.task3:task3",
        sections={"attribution": _ATTRIBUTION},
        config_check=_CHECK_ATTRIBUTION,
        monitor="val_auroc",
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
            "distributed": {  # Horovod data parallelism (toolkit.training.distributed.DistConfig)
                "processes": 2,  # tasks of the Slurm job `expact submit` asks for
                # per_rank: train.batch_size per rank (global batch = batch_size x ranks);
                # global: train.batch_size is the global batch, split evenly over the ranks
                "batch": "per_rank",
                "scale_lr": True,  # learning rate x ranks (per_rank batches only)
                "warmup_epochs": 1.0,  # linear warm-up from the unscaled rate
                "reverse_complement": "both",  # both (as the paper) | random | none
                "chunk_rows": 2048,  # streaming loader: rows per HDF5 read
                "buffer_chunks": 4,  # ... and chunks shuffled together
                "steps_per_epoch": 0,  # 0: a full pass per epoch; > 0: cap (quick runs)
                "max_eval_sequences": 0,  # 0: all; > 0: evaluate on the first ones (quick runs)
            },
            "analysis": {  # after training, on rank 0 (spec §7, task4_step2/step3)
                "filters": True,  # 300 first-layer filters -> PPMs (whole test split) -> Tomtom
                "filter_sequences": 0,  # 0: the whole test split; > 0: its first ones
                "saliency_class": 4,  # saliency x input on test sequences positive only for it
                "saliency_sequences": 100,  # ... the first ones without N
                "plot_indices": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                "plot_start": 150,
                "plot_end": 450,
                "example_sequence": "",  # a 600-nt sequence (e.g. Basset Fig. 4, chr9 region)
                "example_class": 113,  # ... explained for this class (H1-hESC)
            },
        },
        data_check="toolkit.data.basset:check_layout",
        monitor="val_auroc",
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
    )
)
register(
    Task(
        "sequences",  # users' own data (FASTA + labels, or HDF5)
        step="toolkit.steps.sequences:sequences",
        loader="sequences",
        generator="toolkit.data.sequences:sequences",  # a FASTA + label table import
        sections={
            "motifs": {  # the Tomtom target when tomtom.target is null: a JASPAR set (pyjaspar)
                "release": "JASPAR2024",
                "collection": "CORE",
                "tax_group": "vertebrates",
            },
            # as Task 3's; scored only where the data have ground truth; n_sequences: the first
            # N test sequences with label class_index == 1
            "attribution": _ATTRIBUTION | {"n_sequences": 200},
        },
        config_check=_CHECK_ATTRIBUTION,
        monitor="val_auroc",
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
        params={"methods": ["deepshap", "integrated_gradients"], "n_sequences": 500},
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
        params={"buffer": 10, "info_threshold": 0.01},
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
        params={"n_sequences": 100},
    )
)
