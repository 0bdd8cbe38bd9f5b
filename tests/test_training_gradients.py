"""Supp Fig 4's gradient analysis: the callback's numbers are the full-set gradient."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def tiny():
    import tensorflow as tf

    from toolkit.models import build_model

    tf.keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (70, 200))]
    y = (rng.random((70, 12)) < 0.3).astype(np.float32)
    return build_model("cnn-deep", "exponential", first_layer_filters=4), x, y


def test_first_layer_gradient_equals_one_tape_over_the_whole_set(tiny):
    import tensorflow as tf

    from toolkit.training.gradients import first_layer_gradient

    model, x, y = tiny
    kernel = model.get_layer("conv1").kernel
    with tf.GradientTape() as tape:
        p = model(tf.constant(x), training=False)
        loss = tf.reduce_mean(tf.keras.losses.binary_crossentropy(tf.constant(y), p))
        loss += tf.add_n(model.losses)
    direct = tape.gradient(loss, kernel).numpy()
    batched = first_layer_gradient(model, x, y, batch_size=16)  # 16 does not divide 70
    assert batched.shape == (19, 4, 4)
    np.testing.assert_allclose(batched, direct, rtol=1e-4, atol=1e-9)
    assert np.abs(direct).max() > 0


def test_training_with_record_gradients_logs_mean_and_std(tiny, tmp_path):
    from toolkit.training import TrainConfig, train
    from toolkit.training.gradients import first_layer_gradient

    model, x, y = tiny
    config = TrainConfig(epochs=2, batch_size=35, record_gradients=True, monitor="val_auroc")
    history = train(model, x, y, x[:20], y[:20], config, progress=False, checkpoint_dir=tmp_path)
    assert len(history["grad_mean"]) == len(history["grad_std"]) == 2
    assert all(s > 0 for s in history["grad_std"])
    # the last epoch's numbers are those of the trained weights
    grad = first_layer_gradient(model, x, y)
    assert history["grad_mean"][-1] == pytest.approx(grad.mean(), rel=1e-4, abs=1e-10)
    assert history["grad_std"][-1] == pytest.approx(grad.std(), rel=1e-4)
