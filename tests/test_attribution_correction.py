"""Gradient correction, off-simplex angles and the DeepSHAP convergence check (issue 21).

Golden tests on a tiny seeded conv model: corrected maps have zero mean over the four
channels at every position, grad x input at the observed base changes only by the removed
mean, ``both`` equals ``none`` and ``simplex`` called apart, the corrected IG/DeepSHAP maps
keep their sums (one-hot references), and a model whose DeepSHAP additivity is broken (an op
shap's DeepExplainer has no rule for) is caught by :func:`toolkit.attribution.convergence`.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from tensorflow import keras

from toolkit.attribution import (
    convergence,
    deepshap,
    integrated_gradients,
    off_simplex_angles,
    off_simplex_stats,
    saliency,
    shuffled_references,
    simplex_correct,
)
from toolkit.errors import InputError

L = 16


def _onehot(n: int, length: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, length))]


@pytest.fixture(scope="module")
def conv():
    """A seeded conv -> exp -> pool -> dense -> sigmoid model, as the zoo's (tiny)."""
    tf.keras.utils.set_random_seed(3)
    inputs = keras.Input((L, 4))
    h = keras.layers.Conv1D(4, 5, padding="same")(inputs)
    h = keras.layers.Activation(tf.math.exp)(h)
    h = keras.layers.MaxPool1D(4)(h)
    z = keras.layers.Dense(1, name="logits")(keras.layers.Flatten()(h))
    return keras.Model(inputs, keras.layers.Activation("sigmoid")(z))


@pytest.fixture(scope="module")
def x():
    return _onehot(5, L, 7)


def _check_golden(raw, corrected, x):
    np.testing.assert_allclose(corrected.mean(axis=-1), 0.0, atol=1e-6)
    np.testing.assert_allclose(corrected, raw - raw.mean(axis=-1, keepdims=True), atol=1e-6)
    observed_raw = (raw * x).sum(-1)
    observed_corrected = (corrected * x).sum(-1)
    np.testing.assert_allclose(observed_corrected, observed_raw - raw.mean(-1), atol=1e-6)


def test_saliency_correction_golden(conv, x):
    raw = saliency(conv, x)
    corrected = saliency(conv, x, correction="simplex")
    assert np.abs(raw.mean(-1)).max() > 1e-4  # the model has an off-simplex component
    _check_golden(raw, corrected, x)
    both = saliency(conv, x, correction="both")
    np.testing.assert_array_equal(both["none"], raw)
    np.testing.assert_array_equal(both["simplex"], corrected)


@pytest.mark.parametrize("variant", ["paper", "standard"])
def test_integrated_gradients_correction(conv, x, variant):
    refs = shuffled_references(x, 3, 0)
    both = integrated_gradients(conv, x, refs, n_steps=4, variant=variant, correction="both")
    raw = integrated_gradients(conv, x, refs, n_steps=4, variant=variant)
    np.testing.assert_allclose(both["none"], raw, atol=1e-7)
    corrected = both["simplex"]
    if variant == "paper":  # the map is a gradient: the golden properties hold
        _check_golden(raw, corrected, x)
    else:  # (x - x') x corrected gradient: the same sum over the map (completeness kept)
        np.testing.assert_allclose(corrected.sum((1, 2)), raw.sum((1, 2)), atol=1e-6)
        assert not np.allclose(corrected, raw)


def test_deepshap_correction_keeps_additivity(conv, x):
    refs = shuffled_references(x, 3, 1)
    values, delta = deepshap(conv, x, refs, return_delta=True, correction="both")
    raw = deepshap(conv, x, refs)
    np.testing.assert_allclose(values["none"], raw, atol=1e-7)
    assert not np.allclose(values["simplex"], raw)
    np.testing.assert_allclose(values["simplex"].sum((1, 2)), raw.sum((1, 2)), atol=1e-6)
    for d in delta.values():
        assert np.abs(d).max() < 1e-5
        assert convergence(d)["status"] == "ok"
    corrected, d1 = deepshap(conv, x, refs, return_delta=True, correction="simplex")
    np.testing.assert_allclose(corrected, values["simplex"], atol=1e-7)
    np.testing.assert_allclose(d1, delta["simplex"], atol=1e-9)


@tf.custom_gradient
def _wave(t):
    def grad(upstream):
        return upstream * 4.0 * tf.math.cos(4.0 * t)

    return tf.math.sin(4.0 * t), grad


class _Wave(keras.layers.Layer):
    """sin(4 t) with its own gradient: shap's DeepExplainer has no rescale rule for it and
    back-propagates the plain gradient, so the maps stop adding up."""

    def call(self, t):
        return _wave(t)


def test_broken_additivity_is_caught():
    tf.keras.utils.set_random_seed(5)
    inputs = keras.Input((L, 4))
    z = _Wave()(keras.layers.Dense(3)(keras.layers.Flatten()(inputs)))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(z))
    _, delta = deepshap(model, _onehot(6, L, 3), n_references=4, return_delta=True)
    check = convergence(delta)
    assert check["status"] == "fail" and check["n_fail"] >= 1
    assert check["max_abs"] > 1e-2


def test_convergence_levels():
    assert convergence(np.array([1e-6, -2e-4]))["status"] == "ok"
    warned = convergence(np.array([1e-6, -2e-3]))
    assert warned["status"] == "warn" and warned["n_warn"] == 1 and warned["n_fail"] == 0
    assert convergence(np.array([0.0, 0.5]))["status"] == "fail"


def test_off_simplex_angles():
    g = np.zeros((1, 4, 4))
    g[0, 0] = [1, -1, 0, 0]  # in the plane: 0 degrees
    g[0, 1] = [1, 1, 1, 1]  # along (1,1,1,1): 90 degrees
    g[0, 2] = [2, 1, 0, 0]  # arcsin(2 * 0.75 / sqrt(5)) = 42.13 degrees
    angles = off_simplex_angles(g)  # position 3: zero gradient -> NaN
    expected = [0.0, 90.0, np.degrees(np.arcsin(1.5 / np.sqrt(5)))]
    np.testing.assert_allclose(angles[0, :3], expected, atol=1e-6)
    assert np.isnan(angles[0, 3])
    stats = off_simplex_stats(g)
    assert stats["n_zero"] == 1 and stats["n_positions"] == 4
    assert stats["fraction_gt_30"] == pytest.approx(2 / 3)  # of the 3 non-zero positions
    assert stats["fraction_gt_45"] == pytest.approx(1 / 3)
    assert stats["fraction_gt_60"] == pytest.approx(1 / 3)
    # a corrected gradient lies in the plane
    rng = np.random.default_rng(0)
    assert np.nanmax(off_simplex_angles(simplex_correct(rng.normal(size=(3, 5, 4))))) < 1e-3


def test_bad_correction_is_an_input_error(conv, x):
    with pytest.raises(InputError, match="correction"):
        saliency(conv, x, correction="yes")
    with pytest.raises(InputError, match="correction"):
        deepshap(conv, x, correction="simplx")


def test_ops_without_a_shap_rule_use_their_plain_gradient():
    """The modified relu's Pow (and the log activations' Log, Abs) have no DeepExplainer
    rule: shap 0.49's TF2 path raised LookupError; they now back-propagate their plain
    gradient, as shap's TF1 graph mode did for the paper, and the convergence delta shows
    what that does to additivity. The gradient registry is left as it was."""
    from tensorflow.python.framework import ops

    from toolkit.activations import shift_scale_relu

    tf.keras.utils.set_random_seed(2)
    inputs = keras.Input((L, 4))
    h = keras.layers.Conv1D(4, 5, padding="same")(inputs)
    h = keras.layers.Activation(shift_scale_relu)(h)
    z = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(h))
    model = keras.Model(inputs, z)
    before = set(ops._gradient_registry._registry)
    values, delta = deepshap(model, _onehot(3, L, 4), n_references=3, return_delta=True)
    assert np.isfinite(values).all() and np.isfinite(delta).all()
    assert convergence(delta)["status"] in ("ok", "warn", "fail")
    assert set(ops._gradient_registry._registry) == before
