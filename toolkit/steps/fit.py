"""Train + evaluate + save: the first block of every step that trains in one process.

Builds the spec's model with the trial's seed, trains it with the paper's protocol (spec §4)
and epoch checkpoints in the run folder (a requeued run resumes from its last epoch), writes
``weights.h5`` and ``history.json`` atomically and scores the test split.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from toolkit.config import RunSpec
from toolkit.config.model import build_kwargs
from toolkit.run_folder import RunFolder

log = logging.getLogger(__name__)


@dataclass
class Fitted:
    """A trained model with its history and test metrics.

    Attributes
    ----------
    model : keras.Model
        ``(None, L, 4) -> (None, C)``, sigmoid outputs.
    history : dict
        Per-epoch values (``loss``, ``val_auroc``, ...), as written to ``history.json``.
    metrics : dict
        :func:`toolkit.training.metrics` of the test split: ``auroc``, ``aupr`` and their
        per-class lists.
    timings : dict
        Seconds spent in ``train`` and ``evaluate`` (this attempt); after a requeue also
        ``train_earlier_attempts``: the training seconds of the epochs kept from before.
    """

    model: Any
    history: dict
    metrics: dict
    timings: dict = field(default_factory=dict)

    def first_layer(self) -> dict:
        """The first conv block as built (the record's ``model`` section), read off the model
        itself: filters, kernel width, initializer, L2, whether it has its BatchNorm."""
        return first_layer_summary(self.model)


def first_layer_summary(model) -> dict:
    """``filters``, ``kernel_size``, ``initializer``, ``l2``, ``batchnorm``, ``parameters``,
    and ``initializers``: every conv and dense kernel's initializer by layer name."""
    from toolkit.models.initializers import kernel_initializers
    from toolkit.models.layers import FIRST_BN_LAYER, FIRST_CONV_LAYER

    conv = model.get_layer(FIRST_CONV_LAYER)
    init = conv.kernel_initializer
    regularizer = conv.kernel_regularizer
    return {
        "filters": int(conv.filters),
        "kernel_size": int(conv.kernel_size[0]),
        "initializer": type(init).__name__
        + (f"(stddev={init.stddev:g})" if hasattr(init, "stddev") else ""),
        "l2": float(getattr(regularizer, "l2", 0.0)) if regularizer is not None else 0.0,
        "batchnorm": any(layer.name == FIRST_BN_LAYER for layer in model.layers),
        "parameters": int(model.count_params()),
        "initializers": kernel_initializers(model),
    }


def fit(spec: RunSpec, data, run: RunFolder, progress: bool = True) -> Fitted:
    """Train the spec's model on ``data`` and score it on the test split.

    Parameters
    ----------
    spec : RunSpec
        Model, activation, seed and the ``train`` section.
    data : toolkit.data.Dataset
        ``x_train`` (N, L, 4), ``y_train`` (N, C), the same for ``valid`` and ``test``.
    run : RunFolder
        Where the checkpoints, ``weights.h5`` and ``history.json`` go.
    progress : bool
        A progress bar over epochs.

    Returns
    -------
    Fitted
    """
    import tensorflow as tf

    from toolkit.models import build_model
    from toolkit.training import TrainConfig, metrics, train
    from toolkit.training.resume import load_state

    run.path.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    earlier = (load_state(run.checkpoint) or {}).get("train_s", 0.0)  # kept epochs, requeued
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(spec.seed)  # python, numpy and TF seeds of this trial
    model = build_model(
        spec.model,
        activation=spec.activation,
        input_length=data.x_train.shape[1],
        n_outputs=data.y_train.shape[1],
        **build_kwargs(spec.model_options),  # the config's `model` section
    )
    config = TrainConfig.from_dict(spec.train)
    log.info(
        "training %s (seed %d, monitor %s) on %d sequences",
        spec.name,
        spec.seed,
        config.monitor,
        len(data.x_train),
    )
    history = train(
        model,
        data.x_train,
        data.y_train,
        data.x_valid,
        data.y_valid,
        config,
        progress=progress,
        checkpoint_dir=run.checkpoint,
    )
    trained = time.time()
    save_model(model, history, run)
    predictions = model.predict(data.x_test, batch_size=512, verbose=0)
    scores = metrics(data.y_test, predictions)
    log.info("test AUROC %.4f AUPR %.4f", scores["auroc"], scores["aupr"])
    timings = {"train": round(trained - t0, 3), "evaluate": round(time.time() - trained, 3)}
    if earlier:
        timings["train_earlier_attempts"] = round(earlier, 3)
    return Fitted(model, history, scores, timings)


def save_model(model, history: dict, run: RunFolder) -> None:
    """``weights.h5`` (through a temporary file: never half written) and ``history.json``."""
    from toolkit.files import write_json

    tmp = run.path / f".{run.weights.name}.tmp.h5"
    model.save_weights(tmp)
    tmp.replace(run.weights)
    write_json(run.history, history)
