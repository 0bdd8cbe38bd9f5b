"""Training resumes from its last epoch checkpoint (what a requeued Slurm element relies on)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from toolkit.errors import InputError
from toolkit.training import TrainConfig, train


def _data(n=200, length=30, seed=0):
    rng = np.random.default_rng(seed)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, length))]
    y = (x[:, 10:14, 0].sum(1, keepdims=True) > 1).astype(np.float32)  # learnable label
    return x[:150], y[:150], x[150:], y[150:]


def _model():
    tf.keras.utils.set_random_seed(0)
    inputs = tf.keras.Input((30, 4))
    h = tf.keras.layers.Conv1D(4, 5, activation="relu")(inputs)
    h = tf.keras.layers.GlobalMaxPooling1D()(h)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(1, activation="sigmoid")(h))


class _Preempt(tf.keras.callbacks.Callback):
    """Stands for a preemption: the process dies after epoch ``at`` has been checkpointed."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.at:
            raise KeyboardInterrupt("preempted")


def test_interrupted_training_resumes_from_the_last_epoch(tmp_path, caplog):
    x, y, xv, yv = _data()
    config = TrainConfig(epochs=5, batch_size=50, lr_patience=1, lr_factor=0.5)
    ckpt = tmp_path / "checkpoint"
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        train(
            model,
            x,
            y,
            xv,
            yv,
            config,
            progress=False,
            checkpoint_dir=ckpt,
            extra_callbacks=[_Preempt(3)],
        )
    state = json.loads((ckpt / "state.json").read_text())
    assert state["epoch"] == 3 and not state["finished"]
    assert state["train_s"] > 0  # what a requeued run's record adds to its wall_s
    saved = [w.copy() for w in model.get_weights()]
    first_losses = state["history"]["loss"]

    resumed = _model()  # a fresh process: new model, same architecture
    with caplog.at_level("INFO", logger="toolkit"):
        history = train(resumed, x, y, xv, yv, config, progress=False, checkpoint_dir=ckpt)
    assert "resumed training from epoch 3" in caplog.text
    assert len(history["loss"]) == 5  # 3 before the interruption + 2 after
    assert history["loss"][:3] == pytest.approx(first_losses)
    final = json.loads((ckpt / "state.json").read_text())
    assert final["finished"] and final["train_s"] > state["train_s"]  # adds up over attempts
    assert not np.allclose(resumed.get_weights()[0], saved[0])  # it trained on
    assert len(list(ckpt.glob("epoch*.index"))) == 1  # only the newest checkpoint is kept

    # interrupted after training finished (before the record): restore, do not train again
    again = _model()
    history_again = train(again, x, y, xv, yv, config, progress=False, checkpoint_dir=ckpt)
    assert history_again["loss"] == pytest.approx(history["loss"])
    for a, b in zip(again.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(a, b)


def test_corrupt_state_is_a_clear_error(tmp_path):
    ckpt = tmp_path / "checkpoint"
    ckpt.mkdir()
    (ckpt / "state.json").write_text("{not json")
    x, y, xv, yv = _data()
    with pytest.raises(InputError, match="state.json.*corrupt training checkpoint"):
        train(_model(), x, y, xv, yv, TrainConfig(epochs=1), progress=False, checkpoint_dir=ckpt)


@pytest.mark.parametrize("progress", [False, True])
def test_a_finished_training_leaves_its_model_collectable(tmp_path, progress):
    """A packed array element trains many models in one process: the checkpoint and progress
    callbacks must not keep a finished model alive (a per-call callback class closing over
    the callbacks did, +33 MB per run)."""
    import gc
    import weakref

    x, y, xv, yv = _data()
    model = _model()
    train(
        model,
        x,
        y,
        xv,
        yv,
        TrainConfig(epochs=1, batch_size=50),
        progress=progress,
        checkpoint_dir=tmp_path / "checkpoint",
    )
    ref = weakref.ref(model)
    del model
    tf.keras.backend.clear_session()
    gc.collect()
    assert ref() is None, [type(r).__name__ for r in gc.get_referrers(ref())]
