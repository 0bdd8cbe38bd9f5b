"""Steps: what one array element does for one run spec (or once per sweep).

Each task names its run step and its data generator here, as ``"module:function"`` strings
so that importing this registry does not import TensorFlow. The sweep, the array jobs and
the config validator all look tasks up here, so a new task is one entry in each table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

# task -> the step that runs one spec: fn(spec, run_dir, progress=True) -> record dict
RUN_STEPS: dict[str, str] = {
    "task1": "toolkit.steps.task1:task1",
    "task2": "toolkit.steps.task1:task1",  # Task 1's step: the same 12 TFs, input 1000 (x2 widths)
    "task3": "toolkit.steps.task3:task3",
    "task4": "toolkit.steps.task4:task4",
    "task5": "toolkit.steps.task56:task56",
    "task6": "toolkit.steps.task56:task56",
    "sequences": "toolkit.steps.sequences:sequences",  # users' own data (FASTA + labels, HDF5)
}
# task -> the generator that writes its data set: fn(output, **data.generate) -> Path
GENERATORS: dict[str, str] = {
    "task1": "toolkit.data.task1:task1",
    "task3": "toolkit.data.task3:task3",
    "sequences": "toolkit.data.sequences:sequences",  # a FASTA + label table import
}
# task -> the task number the validating loader checks against (label columns, model_*)
LOADER_TASK: dict[str, int] = {
    "task1": 1,
    "task2": 2,
    "task3": 3,
    "task5": 5,
    "task6": 6,
    "sequences": "sequences",
}
# tasks without a generator: where users get their data set (the config's data.path)
DATA_SOURCES: dict[str, str] = {
    "task2": "the truncated DeepSEA set: `expact data task2 --deepsea DIR --out FILE` builds it "
    "from deepsea_train_bundle.v0.9.tar.gz",
    "task4": "er.h5, the Basset data set (about 10 GB; Kelley et al. 2016, the paper's Task 4 "
    "input), or a file of its layout",
    "task5": "ZBED2_400_h3k27ac.h5 from the paper's repository p-koo/exponential_activations, "
    "folder data/",
    "task6": "IRF1_400_h3k27ac.h5 from the paper's repository p-koo/exponential_activations, "
    "folder data/",
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
# task -> config sections only that task takes, with their defaults. A spec carries them in
# RunSpec.extra; tasks without any keep extra empty (and the spec hashes they always had).
TASK_SECTIONS: dict[str, dict[str, dict]] = {
    "task3": {
        "attribution": {  # spec §6; checked by toolkit.steps.task3:check_config
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
        },
    },
    "task4": {
        "distributed": {  # Horovod data parallelism (toolkit.distributed.train.DistConfig)
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
    "task5": _CHIP_SECTIONS,
    "task6": _CHIP_SECTIONS,
    "sequences": {
        "motifs": {  # the Tomtom target when tomtom.target is null: a JASPAR set from pyjaspar
            "release": "JASPAR2024",
            "collection": "CORE",
            "tax_group": "vertebrates",
        },
        "attribution": {  # as Task 3's; scored only where the data have ground truth
            "methods": ["saliency", "mutagenesis", "integrated_gradients", "deepshap"],
            "n_sequences": 200,  # the first N test sequences with label class_index == 1
            "class_index": 0,
            "target": "prob",
            "ig_references": 10,
            "ig_steps": 20,
            "ig_variant": "paper",
            "shap_references": 10,
            "info_threshold": 0.01,
            "save_maps": True,
            "logo_sequences": 3,
        },
    },
}
# tasks whose data set is too large for the in-memory loader: a check of its layout from
# metadata, run before any compute instead of toolkit.data.load: fn(path), raises InputError
DATA_CHECKS: dict[str, str] = {
    "task4": "toolkit.steps.task4:check_data",
}

# task -> a check of its own sections beyond their value types: fn(extra, source), raises
# InputError (called by the config validator, before any compute)
CONFIG_CHECKS: dict[str, str] = {
    "task3": "toolkit.steps.task3:check_config",
    "sequences": "toolkit.steps.task3:check_config",  # the same attribution section
}
# task -> early-stopping monitor when the config's train section names none (spec §4);
# tasks not listed keep TrainConfig's default, val_aupr (Task 1)
DEFAULT_MONITOR: dict[str, str] = {
    "task3": "val_auroc",
    "task4": "val_auroc",
    "task5": "val_auroc",
    "task6": "val_auroc",
    "sequences": "val_auroc",
}


def resolve(target: str) -> Callable:
    """Import ``"package.module:function"`` and return the function."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


# re-analyses of finished runs (toolkit.analysis): kind -> step, same signature as RUN_STEPS;
# their specs never come from a sweep config, so these are not tasks a config may name
ANALYSIS_STEPS: dict[str, str] = {
    "filter_threshold": "toolkit.steps.reanalysis:filter_threshold",
    "attribution_references": "toolkit.steps.reanalysis:attribution_references",
    "activations": "toolkit.steps.reanalysis:activations",
    "localisation": "toolkit.steps.reanalysis:localisation",
}


def run_step(task: str) -> Callable:
    """The run step of ``task`` (see :data:`RUN_STEPS`, :data:`ANALYSIS_STEPS`)."""
    return resolve(RUN_STEPS.get(task) or ANALYSIS_STEPS[task])
