"""Training protocol of spec §4: Adam 1e-3, BCE, batch 100, early stopping, LR on plateau."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

# The hyper-parameters and their checks live in a module without TensorFlow or scikit-learn,
# so that configs are validated in well under a second; re-exported here.
from toolkit.config.train import MONITORS, TrainConfig  # noqa: F401


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
        Hyper-parameters; defaults are the paper's.
    progress : bool
        Show a per-epoch progress bar with the monitored metric.
    checkpoint_dir : str or Path, optional
        Save weights, optimizer and schedule state after every epoch, and resume from there
        when it already holds a checkpoint (see :mod:`toolkit.training.resume`).

    Returns
    -------
    dict
        Keras history: one list per metric (``loss``, ``auroc``, ``val_aupr``, ``lr``...), one
        value per epoch run; all values are plain floats so the dict is JSON-serialisable.
    """
    import tensorflow as tf

    config = config or TrainConfig()
    config.validate()
    compile_model(model, config.learning_rate)
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

        callbacks.insert(0, gradient_callback(x_train, y_train))
    initial_epoch, state, resume = 0, None, None
    if checkpoint_dir is not None:
        from toolkit.training.resume import load_state, resume_callback

        state = load_state(checkpoint_dir)
        initial_epoch = state["epoch"] if state else 0
        # after early stopping and the LR schedule: it restores their counters
        resume = resume_callback(checkpoint_dir, early_stopping, reduce_lr, state)
        callbacks.append(resume)
    if progress:
        callbacks.append(_EpochBar(config.epochs, config.monitor, initial_epoch))
    callbacks.extend(extra_callbacks or [])
    if state and state.get("finished"):
        # interrupted after training ended: restore the final weights, do not train on
        model.optimizer.build(model.trainable_variables)
        tf.train.Checkpoint(model=model, optimizer=model.optimizer).restore(
            state["checkpoint"]
        ).expect_partial()
        history = state["history"]
    else:
        fit = model.fit(
            x_train,
            y_train,
            validation_data=(x_valid, y_valid),
            epochs=config.epochs,
            initial_epoch=initial_epoch,
            batch_size=config.batch_size,
            shuffle=config.shuffle,
            callbacks=callbacks,
            verbose=0,
        )
        history = resume.history if resume is not None else fit.history
    return {
        key: [float(v) if v is not None and math.isfinite(float(v)) else None for v in values]
        for key, values in history.items()
    }


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
