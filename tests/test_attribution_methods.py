"""Attribution methods (spec §6) against answers known analytically, and against slow references.

A linear model (logit = sum W * x + b, then a sigmoid) has: saliency = W (logit) or
p (1 - p) W (probability); mutagenesis = W[l, a] - W[l, observed]; integrated gradients
(standard) = (x - x') W with exact completeness; DeepSHAP = W (x - mean x') with exact
additivity. A small convolutional model checks the batched implementations against the slow
ones they replace: one shap explainer per sequence, one prediction per mutant.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
import tensorflow as tf
from tensorflow import keras

from toolkit.attribution import (
    deepshap,
    integrated_gradients,
    mutagenesis,
    saliency,
    shuffled_references,
)

L = 12
mutagenesis_module = importlib.import_module("toolkit.attribution.mutagenesis")


def _onehot(n: int, length: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, length))]


@pytest.fixture(scope="module")
def linear():
    """(model, W (L, 4), b): logits layer then a sigmoid, like the zoo's heads."""
    rng = np.random.default_rng(1)
    w = rng.normal(0, 0.5, size=(L, 4)).astype(np.float32)
    b = np.float32(0.3)
    inputs = keras.Input((L, 4))
    z = keras.layers.Dense(1, name="logits")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, keras.layers.Activation("sigmoid", name="output")(z))
    model.get_layer("logits").set_weights([w.reshape(-1, 1), np.array([b])])
    return model, w, b


@pytest.fixture(scope="module")
def x_small():
    return _onehot(6, L, 2)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _logit(w, b, x):
    return np.einsum("nla,la->n", x.astype(np.float64), w) + b


def test_saliency_of_a_linear_model_is_its_weights(linear, x_small):
    model, w, b = linear
    np.testing.assert_allclose(
        saliency(model, x_small, target="logit"), np.broadcast_to(w, x_small.shape), atol=1e-6
    )
    p = _sigmoid(_logit(w, b, x_small))
    expected = (p * (1 - p))[:, None, None] * w
    np.testing.assert_allclose(saliency(model, x_small), expected, rtol=1e-5, atol=1e-7)


def test_mutagenesis_of_a_linear_model_is_weight_differences(linear, x_small):
    model, w, b = linear
    observed = x_small.argmax(-1)
    w_obs = np.take_along_axis(w[None], observed[..., None], axis=-1)  # (N, L, 1)
    expected_logit = w[None] - w_obs
    np.testing.assert_allclose(
        mutagenesis(model, x_small, target="logit"), expected_logit, atol=1e-5
    )
    z = _logit(w, b, x_small)[:, None, None]
    expected_prob = _sigmoid(z + expected_logit) - _sigmoid(z)
    got = mutagenesis(model, x_small, batch_size=7)  # odd batches split sequences
    np.testing.assert_allclose(got, expected_prob, atol=1e-6)
    assert np.all(got[x_small == 1] == 0.0)


def test_integrated_gradients_linear_model(linear, x_small):
    model, w, b = linear
    refs = shuffled_references(x_small, 5, seed=3)
    standard = integrated_gradients(
        model, x_small, refs, n_steps=4, variant="standard", target="logit"
    )
    np.testing.assert_allclose(standard, (x_small - refs.mean(1)) * w, atol=1e-5)
    # completeness: sum = f(x) - mean f(x'), exact for a model linear in its input
    expected = _logit(w, b, x_small) - np.mean([_logit(w, b, refs[:, r]) for r in range(5)], axis=0)
    np.testing.assert_allclose(standard.sum(axis=(1, 2)), expected, atol=1e-5)
    # the paper's variant: the mean path gradient, not multiplied by (x - x')
    paper = integrated_gradients(model, x_small, refs, n_steps=4, target="logit")
    np.testing.assert_allclose(paper, np.broadcast_to(w, x_small.shape), atol=1e-6)


def test_integrated_gradients_paper_variant_is_the_mean_path_gradient(linear, x_small):
    model, w, b = linear
    refs = shuffled_references(x_small, 3, seed=4)
    steps = 5
    got = integrated_gradients(model, x_small, refs, n_steps=steps, batch_size=7)
    expected = np.zeros(x_small.shape)
    for r in range(3):
        for s in range(steps):  # s = 0..S-1: the reference included, x excluded
            path = refs[:, r] + (x_small - refs[:, r]) * (s / steps)
            p = _sigmoid(_logit(w, b, path))
            expected += (p * (1 - p))[:, None, None] * w
    np.testing.assert_allclose(got, expected / (3 * steps), rtol=1e-5, atol=1e-8)


def test_integrated_gradients_completeness_on_a_sigmoid(linear, x_small):
    model, w, b = linear
    refs = shuffled_references(x_small, 4, seed=5)
    got = integrated_gradients(model, x_small, refs, n_steps=64, variant="standard")
    p_refs = np.mean([_sigmoid(_logit(w, b, refs[:, r])) for r in range(4)], axis=0)
    np.testing.assert_allclose(
        got.sum(axis=(1, 2)), _sigmoid(_logit(w, b, x_small)) - p_refs, atol=1e-4
    )


def test_deepshap_linear_model_and_additivity(linear, x_small):
    model, w, b = linear
    refs = shuffled_references(x_small, 10, seed=6)
    values, delta = deepshap(model, x_small, refs, target="logit", return_delta=True)
    np.testing.assert_allclose(values, (x_small - refs.mean(1)) * w, atol=1e-5)
    assert np.abs(delta).max() < 1e-5
    values, delta = deepshap(model, x_small, refs, return_delta=True, batch_size=20)
    p_refs = np.mean([_sigmoid(_logit(w, b, refs[:, r])) for r in range(10)], axis=0)
    np.testing.assert_allclose(
        values.sum(axis=(1, 2)), _sigmoid(_logit(w, b, x_small)) - p_refs, atol=1e-6
    )
    assert np.abs(delta).max() < 1e-6


def test_shuffled_references_are_position_permutations(x_small):
    refs = shuffled_references(x_small, 4, seed=0)
    assert refs.shape == (6, 4, L, 4) and refs.dtype == np.float32
    np.testing.assert_array_equal(refs.sum(axis=2), np.repeat(x_small.sum(axis=1)[:, None], 4, 1))
    rs = np.random.RandomState(0)
    order = rs.permutation(L)  # first draw: sequence 0, reference 0
    np.testing.assert_array_equal(refs[0, 0], x_small[0][order])
    np.testing.assert_array_equal(shuffled_references(x_small, 4, seed=0), refs)


# ---- a small convolutional model: batched implementations against slow references ---------


def _conv_model(dilation: int):
    """Conv('same') -> BN -> exp -> MaxPool -> Conv('valid', dilated) -> BN -> relu -> pool ->
    Dense -> sigmoid: the zoo's building blocks, with BN statistics that are not identities.
    """
    tf.keras.utils.set_random_seed(7)
    length = 40
    inputs = keras.Input((length, 4))
    h = keras.layers.Conv1D(6, 7, padding="same", use_bias=False)(inputs)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.Activation("exponential")(h)
    h = keras.layers.Dropout(0.1)(h)
    h = keras.layers.MaxPool1D(4)(h)
    h = keras.layers.Conv1D(8, 3, padding="valid", dilation_rate=dilation, activation="relu")(h)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.AveragePooling1D(2)(h)
    h = keras.layers.Conv1D(4, 2, padding="same")(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(5, activation="relu")(h)
    z = keras.layers.Dense(2, name="logits")(h)
    model = keras.Model(inputs, keras.layers.Activation("sigmoid", name="output")(z))
    rng = np.random.default_rng(8)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights(
                [
                    gamma + rng.normal(0, 0.2, gamma.shape),
                    beta + rng.normal(0, 0.2, beta.shape),
                    mean + rng.normal(0, 0.2, mean.shape),
                    var + rng.uniform(0.5, 1.5, var.shape),
                ]
            )
    return model, _onehot(5, length, 9)


@pytest.fixture(scope="module")
def conv():
    return _conv_model(dilation=2)


def test_mutagenesis_matches_one_prediction_per_mutant(conv):
    model, x = conv
    n, length, _ = x.shape
    naive = np.zeros(x.shape, dtype=np.float64)
    for i in range(n):
        mutants = np.repeat(x[i][None], 4 * length, axis=0)
        k = np.arange(4 * length)
        mutants[k, k // 4] = 0
        mutants[k, k // 4, k % 4] = 1
        pred = model.predict(mutants, verbose=0)[:, 1]
        naive[i] = pred.reshape(length, 4) - model.predict(x[i : i + 1], verbose=0)[0, 1]
    naive[x == 1] = 0.0
    for local in (True, False):
        got = mutagenesis(model, x, class_index=1, local=local, batch_size=100)
        np.testing.assert_allclose(got, naive, atol=1e-6)
    steps = mutagenesis_module._chain(model, length)
    assert [s.kind for s in steps][:5] == [
        "conv_same",
        "pointwise",
        "pointwise",
        "pointwise",
        "pool",
    ]
    assert sum(s.kind != "pointwise" for s in steps) == 5, (
        "the local path must cover every conv/pool"
    )


def test_mutagenesis_local_matches_full_on_the_paper_models():
    from toolkit.models import build_model

    x = _onehot(2, 200, 10)
    for name in ("cnn-dist", "cnn-local"):
        tf.keras.utils.set_random_seed(11)
        model = build_model(name, activation="exponential")
        local = mutagenesis(model, x)
        full = mutagenesis(model, x, local=False)
        np.testing.assert_allclose(local, full, atol=1e-6)
        assert np.abs(full).max() > 1e-5


def test_mutagenesis_falls_back_on_branching_models():
    tf.keras.utils.set_random_seed(12)
    inputs = keras.Input((30, 4))
    a = keras.layers.Conv1D(4, 5, padding="same", activation="relu")(inputs)
    b = keras.layers.Conv1D(4, 3, padding="same")(a)
    h = keras.layers.Add()([a, b])  # a skip connection right after the first conv
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(h))
    model = keras.Model(inputs, out)
    x = _onehot(3, 30, 13)
    np.testing.assert_allclose(mutagenesis(model, x), mutagenesis(model, x, local=False), atol=1e-6)


def test_deepshap_batched_equals_one_explainer_per_sequence():
    import shap

    model, x = _conv_model(dilation=1)  # shap has no handler for dilation's SpaceToBatchND
    refs = shuffled_references(x, 10, seed=14)
    got = deepshap(model, x, refs, class_index=1, batch_size=45)  # chunks of 2 sequences
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(len(x)):
            explainer = shap.DeepExplainer(model, refs[i])
            expected = explainer.shap_values(x[i : i + 1], check_additivity=False)[0][..., 1]
            np.testing.assert_allclose(got[i], expected, atol=1e-5, rtol=0)
    assert np.abs(got).max() > 1e-4


def test_targets_of_the_zoo_heads(conv):
    model, x = conv
    logit_grad = saliency(model, x, class_index=1, target="logit")
    prob_grad = saliency(model, x, class_index=1)
    p = model.predict(x, verbose=0)[:, 1]
    np.testing.assert_allclose(
        prob_grad, (p * (1 - p))[:, None, None] * logit_grad, rtol=1e-4, atol=1e-8
    )
