"""Attribution methods refuse bad input before any compute, naming the method and the argument."""

from __future__ import annotations

import numpy as np
import pytest
from tensorflow import keras

from toolkit.attribution import METHODS, shuffled_references
from toolkit.errors import InputError

L = 16


def _x(n: int = 3, length: int = L) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, length))]


def _model(head: str = "zoo", length: int | None = L):
    inputs = keras.Input((length, 4))
    h = keras.layers.Conv1D(3, 5, padding="same")(inputs)
    h = keras.layers.GlobalMaxPooling1D()(h)
    if head == "zoo":  # Dense 'logits' + Activation('sigmoid'), as the model zoo
        out = keras.layers.Activation("sigmoid")(keras.layers.Dense(2, name="logits")(h))
    elif head == "dense_sigmoid":
        out = keras.layers.Dense(2, activation="sigmoid")(h)
    elif head == "linear":
        out = keras.layers.Dense(2)(h)
    elif head == "two_outputs":
        out = [keras.layers.Dense(1)(h), keras.layers.Dense(1)(h)]
    elif head == "profile":  # (None, L, 2): not one value per class
        out = keras.layers.Conv1D(2, 1)(keras.layers.Conv1D(3, 5, padding="same")(inputs))
    return keras.Model(inputs, out)


@pytest.fixture(scope="module")
def zoo_model():
    return _model()


ALL = sorted(METHODS)


@pytest.mark.parametrize("method", ALL)
def test_non_onehot_batches(method, zoo_model):
    x = _x()
    for bad, fragment in (
        (x * 0.5, "not one-hot"),
        (x.transpose(0, 2, 1), "channels-first"),
        (x[0], "(N, L, 4)"),
        (np.concatenate([x, np.zeros((3, L, 1), np.float32)], axis=-1), "(N, L, 4)"),
        (np.where(x == 1, 1.0, np.nan).astype(np.float32), "not one-hot"),
    ):
        with pytest.raises(InputError) as info:
            METHODS[method](zoo_model, bad)
        assert method in str(info.value) and "x" in str(info.value) and fragment in str(info.value)


@pytest.mark.parametrize("method", ALL)
@pytest.mark.parametrize(
    ("head", "kwargs", "field", "fragment"),
    [
        ("two_outputs", {}, "model", "one output"),
        ("profile", {}, "model", "(None, C)"),
        ("linear", {"target": "logit"}, "target", "pre-sigmoid"),
        ("zoo", {"target": "log-odds"}, "target", "prob"),
        ("zoo", {"class_index": 2}, "class_index", "[0, 2)"),
        ("zoo", {"class_index": -1}, "class_index", "[0, 2)"),
    ],
)
def test_models_whose_output_does_not_fit(method, head, kwargs, field, fragment):
    model = _model(head)
    with pytest.raises(InputError) as info:
        METHODS[method](model, _x(), **kwargs)
    text = str(info.value)
    assert method in text and field in text and fragment in text


@pytest.mark.parametrize("method", ALL)
def test_sequence_length_must_match_a_fixed_model_input(method, zoo_model):
    with pytest.raises(InputError, match="length 20, the model takes length 16"):
        METHODS[method](zoo_model, _x(length=20))


def test_not_a_keras_model():
    with pytest.raises(InputError, match="expected a Keras model"):
        METHODS["saliency"](lambda x: x.sum(), _x())


def test_logit_of_a_dense_sigmoid_head_and_variable_length_models():
    model = _model("dense_sigmoid", length=None)
    x = _x(2, length=24)
    prob = METHODS["saliency"](model, x, class_index=1)
    logit = METHODS["saliency"](model, x, class_index=1, target="logit")
    p = model.predict(x, verbose=0)[:, 1]
    np.testing.assert_allclose(prob, (p * (1 - p))[:, None, None] * logit, rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("method", ["integrated_gradients", "deepshap"])
def test_references_of_the_wrong_shape(method, zoo_model):
    x = _x()
    refs = shuffled_references(x, 4)
    for bad in (refs[:2], refs[:, :, :-1], refs[0]):
        with pytest.raises(InputError, match="references"):
            METHODS[method](zoo_model, x, references=bad)


@pytest.mark.parametrize(
    ("method", "kwargs", "field"),
    [
        ("saliency", {"batch_size": 0}, "batch_size"),
        ("mutagenesis", {"batch_size": -3}, "batch_size"),
        ("integrated_gradients", {"n_steps": 0}, "n_steps"),
        ("integrated_gradients", {"variant": "riemann"}, "variant"),
        ("integrated_gradients", {"n_references": 0}, "n_references"),
        ("deepshap", {"n_references": 1.5}, "n_references"),
    ],
)
def test_bad_parameters(method, kwargs, field, zoo_model):
    with pytest.raises(InputError) as info:
        METHODS[method](zoo_model, _x(), **kwargs)
    assert field in str(info.value)
