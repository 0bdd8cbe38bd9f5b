"""Training protocol of spec §4: Adam 1e-3, BCE, batch 100, early stopping, LR on plateau."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

# The hyper-parameters and their checks live in a module without TensorFlow or scikit-learn,
# so that configs are validated in well under a second; re-exported here.
from toolkit.config.train import MONITORS, TrainConfig  # noqa: F401

log = logging.getLogger(__name__)


def compile_model(model, learning_rate: float = 1e-3):
    """Compile as the paper (``helper.compile_model``): Adam, BCE, accuracy/auroc/aupr."""
    import tensorflow as tf

    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=learning_rate),
        loss=tf.keras.losses.BinaryCrossentropy(from_logits=False, label_smoothing=0.0),
        metrics=[
            "accuracy",
            # multi_label=False micro-averages over outputs, as the paper's early stopping did
            tf.keras.metrics.AUC(curve="ROC", name="auroc"),
            tf.keras.metrics.AUC(curve="PR", name="aupr"),
        ],
    )
    return model


def train(
    model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_valid: np.ndarray,
    y_valid: np.ndarray,
    config: TrainConfig | None = None,
    progress: bool = True,
    extra_callbacks: list | None = None,
    checkpoint_dir: str | Path | None = None,
) -> dict[str, list[float]]:
    """Compile and fit ``model`` with the paper's protocol.

    Parameters
    ----------
    model : keras.Model
        An uncompiled model with a sigmoid output of C units.
    x_train, x_valid : np.ndarray, shape (N, L, 4)
        One-hot sequences, channels last.
    y_train, y_valid : np.ndarray, shape (N, C)
        Binary labels.
    config : TrainConfig, optional
        Hyper-parameters; defaults are the paper's. ``config.engine`` picks the loop: Keras'
        ``model.fit`` (the default) or the fast engine (:mod:`toolkit.training.engine`).
    progress : bool
        Show a per-epoch progress bar with the monitored metric.
    extra_callbacks : list, optional
        Keras callbacks run after the others (the fast engine calls their epoch and
        train hooks, not the batch hooks).
    checkpoint_dir : str or Path, optional
        Save weights, optimizer and schedule state after every epoch, and resume from there
        when it already holds a checkpoint (see :mod:`toolkit.training.resume`).

    Returns
    -------
    dict
        Keras history: one list per metric (``loss``, ``val_aupr``, ``lr``...; ``accuracy``,
        ``auroc`` and ``aupr`` of the training batches with the keras engine or
        ``train_metrics``), one value per epoch run; all values are plain floats so the dict
        is JSON-serialisable.
    """
    import tensorflow as tf

    config = config or TrainConfig()
    config.validate()
    compile_model(model, config.learning_rate)
    callbacks, state, resume = _callbacks(
        model, config, (x_train, y_train), progress, checkpoint_dir, extra_callbacks
    )
    initial_epoch = state["epoch"] if state else 0
    state_finished = bool(state and state.get("finished"))
    if state_finished:
        # interrupted after training ended: restore the final weights, do not train on
        model.optimizer.build(model.trainable_variables)
        tf.train.Checkpoint(model=model, optimizer=model.optimizer).restore(
            state["checkpoint"]
        ).expect_partial()
        history = state["history"]
    elif config.engine == "fast":
        from toolkit.training.engine import fit_fast

        history = fit_fast(
            model, (x_train, y_train), (x_valid, y_valid), config, callbacks, initial_epoch
        )
    else:
        ignored = [key for key in ("bf16", "fused_dropout") if getattr(config, key)]
        if ignored:
            log.warning("train.%s: fast-engine options, ignored by engine keras", ignored)
        history = model.fit(
            x_train,
            y_train,
            validation_data=(x_valid, y_valid),
            epochs=config.epochs,
            initial_epoch=initial_epoch,
            batch_size=config.batch_size,
            shuffle=config.shuffle,
            callbacks=callbacks,
            verbose=0,
        ).history
    if resume is not None and not state_finished:
        history = resume.history  # the history before the resume too
    return {
        key: [float(v) if v is not None and math.isfinite(float(v)) else None for v in values]
        for key, values in history.items()
    }


def _callbacks(model, config: TrainConfig, train_data, progress, checkpoint_dir, extra):
    """Early stopping, the LR schedule, then the gradient record, checkpoint, bar and extras.

    Returns
    -------
    tuple
        The callback list, the saved training state (None when starting afresh) and the
        checkpoint callback (None without ``checkpoint_dir``).
    """
    import tensorflow as tf

    mode = "min" if config.monitor == "val_loss" else "max"
    early_stopping = tf.keras.callbacks.EarlyStopping(
        monitor=config.monitor,
        patience=config.patience,
        mode=mode,
        restore_best_weights=config.restore_best_weights,
    )
    reduce_lr = tf.keras.callbacks.ReduceLROnPlateau(
        monitor=config.monitor,
        factor=config.lr_factor,
        patience=config.lr_patience,
        min_lr=config.min_lr,
        mode=mode,
    )
    callbacks = [early_stopping, reduce_lr]
    if config.record_gradients:  # first: its logs reach early stopping, history, checkpoints
        from toolkit.training.gradients import gradient_callback

        callbacks.insert(0, gradient_callback(*train_data))
    state, resume = None, None
    if checkpoint_dir is not None:
        from toolkit.training.resume import load_state, resume_callback

        state = load_state(checkpoint_dir)
        # after early stopping and the LR schedule: it restores their counters
        resume = resume_callback(checkpoint_dir, early_stopping, reduce_lr, state)
        callbacks.append(resume)
    if progress:
        callbacks.append(_EpochBar(config.epochs, config.monitor, state["epoch"] if state else 0))
    callbacks.extend(extra or [])
    return callbacks, state, resume


class _EpochBar:
    """A tqdm bar over epochs that shows loss and the monitored metric (Keras callback)."""

    def __new__(cls, epochs: int, monitor: str, initial_epoch: int = 0):
        import tensorflow as tf
        from tqdm.auto import tqdm

        class EpochBar(tf.keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.bar = tqdm(
                    total=epochs, initial=initial_epoch, desc="epochs", unit="ep", leave=False
                )

            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                self.bar.set_postfix(
                    loss=f"{logs.get('loss', float('nan')):.4f}",
                    **{monitor: f"{logs.get(monitor, float('nan')):.4f}"},
                )
                self.bar.update(1)

            def on_train_end(self, logs=None):
                self.bar.close()

        return EpochBar()
