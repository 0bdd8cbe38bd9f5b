"""Which code made each published figure, and so which kernel initializers reproduce it.

The original repository (``p-koo/exponential_activations``) changed its model builders on
2020-08-07 (commit ``c483891``): before, ``tfomics/layers.py`` hard-coded ``he_normal`` for every
conv and hidden dense kernel; after, Keras' default (glorot_uniform) applied (spec §2.3).
Published numbers were never regenerated with the later code, so each figure belongs to the era
of the day it was made. This table is that finding, from the repository's history (the dates on
which each notebook's output images and printed tables last changed, and the dates of the
scripts that trained the models they read); every shipped config names the row it
reproduces, and a test builds each config's models and compares their kernels with it.

The table is data, not code: ``docs/reproduction.md`` prints it (``jobs/reproduction_page.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The era before ``c483891`` (2020-08-07): he_normal conv and hidden dense kernels.
HE_NORMAL_ERA = "he_normal (to 2020-08-07)"
#: The era from ``c483891`` on: Keras' default kernels, the controls' own first conv.
KERAS_DEFAULT_ERA = "glorot_uniform (from 2020-08-07)"


@dataclass(frozen=True)
class Era:
    """One published figure (or group of figures) and the code that made it.

    Attributes
    ----------
    figure : str
        The paper's figure(s).
    evidence : str
        Where the date comes from: the original's notebook or script and its commit(s).
    made : str
        The date the published output was made (the commit that last changed it).
    era : str
        :data:`HE_NORMAL_ERA` or :data:`KERAS_DEFAULT_ERA`.
    kernel_initializer : str
        The conv and hidden dense kernels' initializer (the config's ``model.kernel_initializer``).
    first_conv : str
        The first conv's: ``"kernel"`` (same as the others), ``"glorot_uniform"`` (the log
        models' plain ``Conv1D``), or ``"varied"`` (the control varies it).
    configs : tuple of str
        Shipped configs (paths under ``configs/``) that reproduce it.
    """

    figure: str
    evidence: str
    made: str
    era: str
    kernel_initializer: str
    first_conv: str
    configs: tuple[str, ...]


ERAS: tuple[Era, ...] = (
    Era(
        "Fig. 1c, Ext Data Fig. 1a,b, Fig. 2a (Task 1 match fractions, modified activations)",
        "task1_plot_filter_match_synthetic.ipynb: figures first committed in 53522a2, unchanged "
        "to HEAD; results/task1 (b269b87)",
        "2020-06-27",
        HE_NORMAL_ERA,
        "he_normal",
        "kernel",
        (
            "task1.yaml",
            "task1_quick.yaml",
            "repro_task1.yaml",
            "repro_task1_fast.yaml",
            "repro_task1_cnn2.yaml",
            "repro_task1_fused.yaml",
        ),
    ),
    Era(
        "Fig. 1d (Task 2 match fractions)",
        "plot_filter_match_invivo.ipynb: figures in 1daa1ca, unchanged to HEAD; tfomics was a "
        "submodule then, and its first in-tree copy (f6d8f61, 2020-06-14) hard-codes he_normal",
        "2020-06-03",
        HE_NORMAL_ERA,
        "he_normal",
        "kernel",
        ("task2.yaml",),
    ),
    Era(
        "Fig. 2b-d, spec §9.4/§9.5 (Task 3 attribution scores and classification)",
        "task3_plot_attr_score_comparisons.ipynb: printed tables and figures in 53522a2, "
        "unchanged to HEAD; the committed CNN-dist weights (4a2a7d9) have he_normal-sized kernels",
        "2020-06-27",
        HE_NORMAL_ERA,
        "he_normal",
        "kernel",
        ("task3.yaml", "task3_quick.yaml", "repro_task3.yaml", "repro_task3_fast.yaml"),
    ),
    Era(
        "Task 4 (Basset, Fig. 3)",
        "task4_train_model.py last changed in bcb4ae6; its notebook keeps no outputs",
        "2020-07-13",
        HE_NORMAL_ERA,
        "he_normal",
        "kernel",
        ("task4.yaml",),
    ),
    Era(
        "Tasks 5 and 6 (ResidualBind on ZBED2 and IRF1, Fig. 4)",
        "task5/task6_plot_attr_score_comparison.ipynb: figures in 53522a2, unchanged to HEAD "
        "(the residual block's convs are he_normal in every era)",
        "2020-06-27",
        HE_NORMAL_ERA,
        "he_normal",
        "kernel",
        ("task5.yaml", "task6.yaml"),
    ),
    Era(
        "Ext Data Fig. 1e, Supp Fig. 11b (log activations, Tasks 1 and 3)",
        "task1_plot_filter_match_synthetic-log.ipynb and task3_plot_attr_score_comparisons_log"
        ".ipynb: figures in 53522a2, unchanged to HEAD; cnn_deep_log/cnn_dist_log build the "
        "first conv as a plain keras Conv1D",
        "2020-06-27",
        HE_NORMAL_ERA,
        "he_normal",
        "glorot_uniform",
        (
            "controls/log_task1.yaml",
            "controls/log_task1_quick.yaml",
            "controls/log_task3.yaml",
            "controls/log_task3_quick.yaml",
        ),
    ),
    Era(
        "Supp Fig. 5a,b (first-layer initialization, init sweep; no-BN row)",
        "initialization_step1_train.py, initialization_sweep_step1_train.py (e35f4db, "
        "2020-10-19; 7d7e1d3): only the first conv's initializer is set",
        "2020-10-19",
        KERAS_DEFAULT_ERA,
        "glorot_uniform",
        "varied",
        (
            "controls/initialization.yaml",
            "controls/initialization_quick.yaml",
            "controls/initialization_nobn.yaml",
            "controls/initialization_nobn_quick.yaml",
            "controls/init_sweep.yaml",
            "controls/init_sweep_quick.yaml",
        ),
    ),
    Era(
        "Supp Fig. 9 (exp scale sweep)",
        "exp_scale_sweep_step2-4 (7d7e1d3, 2020-11-30); the training script (cnn_deep_exp.py, "
        "3d6a7b5) calls the shared conv_layer, so models trained after c483891 are glorot",
        "2020-11-30",
        KERAS_DEFAULT_ERA,
        "glorot_uniform",
        "kernel",
        ("controls/exp_scale.yaml", "controls/exp_scale_quick.yaml"),
    ),
    Era(
        "Supp Fig. 3, 4 (training history, gradients)",
        "visualize_training_history.ipynb (e35f4db, 2020-10-19; the pickle's writer is not in "
        "the repository), gradient_analysis_step1_train.py (7d7e1d3, 2020-11-30)",
        "2020-10-19",
        KERAS_DEFAULT_ERA,
        "glorot_uniform",
        "kernel",
        (
            "controls/training_history.yaml",
            "controls/training_history_quick.yaml",
            "controls/gradients.yaml",
            "controls/gradients_quick.yaml",
        ),
    ),
)

#: Re-analyses of trained runs (``expact analyze``): they build no model of their own, so they
#: take the era of the sweep they re-analyse (threshold sweep, pre/post and localisation: the
#: Task 1 models; background count: the Task 3 models, as the original's scripts load
#: results/task1 and results/task3; gradient correction and off-simplex, issue 21: the Task 3
#: and Task 1 runs they read).
REANALYSIS_CONFIGS: tuple[str, ...] = (
    "controls/threshold_sweep.yaml",
    "controls/threshold_sweep_quick.yaml",
    "controls/background_count.yaml",
    "controls/background_count_quick.yaml",
    "controls/prepost.yaml",
    "controls/prepost_quick.yaml",
    "controls/localisation.yaml",
    "controls/localisation_quick.yaml",
    "controls/gradient_correction.yaml",
    "controls/gradient_correction_quick.yaml",
    "controls/off_simplex_task1.yaml",
    "controls/off_simplex_task1_quick.yaml",
)

#: Configs for users' own data: not a published figure; they build the published models.
OWN_DATA_CONFIGS: tuple[str, ...] = (
    "sequences_irf1.yaml",
    "sequences_peaks.yaml",
    "sequences_peaks_miniature.yaml",
)


def era_of(config: str) -> Era:
    """The row of :data:`ERAS` a shipped config reproduces.

    Parameters
    ----------
    config : str
        Its path under ``configs/``, e.g. ``"controls/exp_scale.yaml"``.

    Returns
    -------
    Era

    Raises
    ------
    KeyError
        If no row names it.
    """
    for era in ERAS:
        if config in era.configs:
            return era
    raise KeyError(config)
