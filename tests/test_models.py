"""Model zoo of spec §2: shapes, regularisers, first-layer naming and controls, weights I/O."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402

from toolkit.activations import ALL_ACTIVATIONS, activations  # noqa: E402
from toolkit.errors import InputError  # noqa: E402
from toolkit.models import (  # noqa: E402
    DEFAULT_INPUT_LENGTH,
    DEFAULT_N_OUTPUTS,
    FIRST_ACTIVATION_LAYER,
    FIRST_BN_LAYER,
    FIRST_CONV_LAYER,
    MODEL_ALIASES,
    MODEL_NAMES,
    build_model,
    canonical_model_name,
    first_layer_model,
)

CNN_DEEP_200 = {
    "conv1": (200, 32),
    "conv2": (200, 48),
    "pool1": (50, 48),
    "conv3": (44, 96),
    "pool2": (11, 96),
    "conv4": (9, 128),
    "pool3": (3, 128),
    "flatten": (384,),
    "dense1": (512,),
    "output": (12,),
}
CNN_DIST_200 = {
    "conv1": (200, 24),
    "conv2": (200, 32),
    "pool1": (50, 32),
    "conv3": (44, 48),
    "pool2": (11, 48),
    "conv4": (9, 64),
    "pool3": (3, 64),
    "flatten": (192,),
    "dense1": (96,),
    "output": (1,),
}

# Per-layer output shapes (without batch) from the spec §2.2 tables.
SHAPES: dict[tuple[str, int], dict[str, tuple[int, ...]]] = {
    ("cnn-deep", 200): CNN_DEEP_200,
    ("cnn-deep", 1000): {
        "conv1": (1000, 64),
        "conv2": (1000, 96),
        "pool1": (250, 96),
        "conv3": (244, 192),
        "pool2": (61, 192),
        "conv4": (59, 256),
        "pool3": (19, 256),
        "flatten": (4864,),
        "dense1": (1024,),
        "output": (12,),
    },
    ("cnn-2", 200): {
        "conv1": (200, 32),
        "pool1": (100, 32),
        "conv2": (100, 124),
        "pool2": (2, 124),
        "flatten": (248,),
        "dense1": (512,),
        "output": (12,),
    },
    ("cnn-2", 1000): {
        "conv1": (1000, 64),
        "pool1": (500, 64),
        "conv2": (500, 248),
        "pool2": (10, 248),
        "flatten": (2480,),
        "dense1": (1024,),
        "output": (12,),
    },
    ("cnn-50", 200): {
        "conv1": (200, 32),
        "pool1": (4, 32),
        "conv2": (4, 124),
        "pool2": (2, 124),
        "flatten": (248,),
        "dense1": (512,),
        "output": (12,),
    },
    ("cnn-50", 1000): {
        "conv1": (1000, 64),
        "pool1": (20, 64),
        "conv2": (20, 248),
        "pool2": (10, 248),
        "flatten": (2480,),
        "dense1": (1024,),
        "output": (12,),
    },
    ("cnn-local", 200): {
        "conv1": (200, 24),
        "pool1": (4, 24),
        "conv2": (4, 48),
        "pool2": (2, 48),
        "flatten": (96,),
        "dense1": (96,),
        "output": (1,),
    },
    ("cnn-dist", 200): CNN_DIST_200,
    ("residualbind", 400): {
        "conv1": (400, 24),
        "residual1_activation2": (400, 24),
        "pool1": (40, 24),
        "conv2": (40, 48),
        "pool2": (8, 48),
        "conv3": (6, 64),
        "pool3": (1, 64),
        "flatten": (64,),
        "dense1": (96,),
        "output": (1,),
    },
    ("cnn-deep-log", 200): CNN_DEEP_200,
    ("cnn-dist-log", 200): CNN_DIST_200,
}

BASSET_SHAPES = {
    "conv1": (600, 300),
    "pool1": (200, 300),
    "conv2": (190, 200),
    "pool2": (47, 200),
    "conv3": (41, 200),
    "pool3": (10, 200),
    "flatten": (2000,),
    "dense1": (1000,),
    "dense2": (1000,),
    "output": (164,),
}

FIRST_FILTERS = {
    "cnn-deep": 32,
    "cnn-2": 32,
    "cnn-50": 32,
    "cnn-local": 24,
    "cnn-dist": 24,
    "basset": 300,
    "residualbind": 24,
    "cnn-deep-log": 32,
    "cnn-dist-log": 24,
}

GRID = tf.constant(np.linspace(-5.0, 5.0, 101), dtype=tf.float32)


@pytest.fixture(autouse=True)
def _fresh_session():
    keras.backend.clear_session()
    yield
    keras.backend.clear_session()


@pytest.fixture(scope="module")
def basset_model() -> keras.Model:
    # Basset has ~4M parameters: build it once for every Basset check.
    keras.backend.clear_session()
    return build_model("basset", "exp")


def _shape(model: keras.Model, layer: str) -> tuple[int, ...]:
    return tuple(model.get_layer(layer).output.shape[1:])


def _assert_regularised(model: keras.Model, first_l2: float | None = 1e-6) -> None:
    """Every conv / hidden dense: no bias, L2 1e-6 (first conv: ``first_l2``); head: bias, no L2."""
    n_penalties = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv1D | keras.layers.Dense) and layer.name != "logits":
            assert not layer.use_bias, layer.name
            want = first_l2 if layer.name == FIRST_CONV_LAYER else 1e-6
            reg = layer.kernel_regularizer
            if want is None:
                assert reg is None, layer.name
            else:
                assert isinstance(reg, keras.regularizers.L2), layer.name
                assert float(reg.l2) == pytest.approx(want, rel=1e-6), layer.name
                n_penalties += 1
    head = model.get_layer("logits")
    assert head.use_bias and head.kernel_regularizer is None
    assert model.get_layer("output").activation is keras.activations.sigmoid
    assert len(model.losses) == n_penalties


@pytest.mark.parametrize(("name", "length"), sorted(SHAPES))
def test_shapes(name: str, length: int) -> None:
    model = build_model(name, input_length=length)
    assert model.input_shape == (None, length, 4)
    assert model.output_shape == (None, SHAPES[name, length]["output"][0])
    for layer, shape in SHAPES[name, length].items():
        assert _shape(model, layer) == shape, (name, length, layer)
    # Uncompiled: the training code compiles.
    assert model.optimizer is None
    _assert_regularised(model, 0.1 if name.endswith("-log") else 1e-6)


def test_basset(basset_model: keras.Model) -> None:
    assert basset_model.input_shape == (None, 600, 4)
    for layer, shape in BASSET_SHAPES.items():
        assert _shape(basset_model, layer) == shape, layer
    _assert_regularised(basset_model)
    assert basset_model.get_layer("conv1_dropout").rate == pytest.approx(0.2)
    _assert_first_block(basset_model, "exponential")


def test_residual_block_layout() -> None:
    model = build_model("residualbind")
    for i in (1, 2):
        conv = model.get_layer(f"residual1_conv{i}")
        assert conv.kernel_size == (5,) and conv.filters == 24 and conv.padding == "same"
        assert conv.activation is keras.activations.relu  # the original's relu inside the conv
        assert isinstance(conv.kernel_initializer, keras.initializers.HeNormal)
    assert isinstance(model.get_layer("residual1_add"), keras.layers.Add)
    assert not any(layer.name.startswith("residual1_dropout") for layer in model.layers)


@pytest.mark.parametrize("name", [n for n in MODEL_NAMES if n != "basset"])
def test_defaults_and_first_filters(name: str) -> None:
    model = build_model(name)
    assert model.input_shape == (None, DEFAULT_INPUT_LENGTH[name], 4)
    assert model.output_shape == (None, DEFAULT_N_OUTPUTS[name])
    conv1 = model.get_layer(FIRST_CONV_LAYER)
    assert conv1.filters == FIRST_FILTERS[name]
    assert conv1.kernel_size == (19,) and conv1.padding == "same"
    # the published models' first conv (spec §2.3); the log models' is a plain Keras Conv1D
    published = keras.initializers.GlorotUniform if "log" in name else keras.initializers.HeNormal
    assert isinstance(conv1.kernel_initializer, published)
    _assert_first_block(model, "relu")


def test_basset_defaults(basset_model: keras.Model) -> None:
    assert basset_model.output_shape == (None, DEFAULT_N_OUTPUTS["basset"]) == (None, 164)
    assert basset_model.get_layer(FIRST_CONV_LAYER).filters == FIRST_FILTERS["basset"]


def test_numpy_sizes_accepted() -> None:
    # Sizes often come from arrays (x.shape[1]) as numpy integers.
    model = build_model("cnn-local", input_length=np.int64(200), n_outputs=np.int32(3))
    assert model.output_shape == (None, 3)


def test_filters_double_at_1000() -> None:
    for name in ("cnn-deep", "cnn-2", "cnn-50"):
        assert build_model(name, input_length=1000).get_layer("conv1").filters == 64
        keras.backend.clear_session()
    # The multiplier can be overridden.
    model = build_model("cnn-deep", input_length=1000, multiplier=1)
    assert model.get_layer("flatten").output.shape[-1] == 19 * 128


def _assert_first_block(model: keras.Model, activation: str) -> None:
    """conv1 -> conv1_bn -> conv1_activation at the original's indices 1, 2, 3."""
    assert [layer.name for layer in model.layers[1:4]] == [
        FIRST_CONV_LAYER,
        FIRST_BN_LAYER,
        FIRST_ACTIVATION_LAYER,
    ]
    act = model.get_layer(FIRST_ACTIVATION_LAYER)
    assert isinstance(act, keras.layers.Activation)
    np.testing.assert_allclose(act.activation(GRID).numpy(), activations(activation)(GRID).numpy())
    # Every deeper activation is ReLU (or the sigmoid head).
    for layer in model.layers[4:]:
        if isinstance(layer, keras.layers.Activation) and layer.name != "output":
            assert layer.activation is keras.activations.relu, layer.name


@pytest.mark.parametrize("activation", [*ALL_ACTIVATIONS, "exp", "exp_scale:0.05", "exp_shift:2"])
def test_every_activation_builds_in_cnn_deep(activation: str) -> None:
    model = build_model("cnn-deep", activation)
    _assert_first_block(model, activation)


def test_forward_pass_and_first_layer_model() -> None:
    model = build_model("cnn-deep", "exponential")
    x = tf.one_hot(np.random.default_rng(0).integers(0, 4, (3, 200)), 4)
    y = model(x, training=False).numpy()
    assert y.shape == (3, 12) and np.all((y >= 0) & (y <= 1))
    sub = first_layer_model(model)
    assert sub.output_shape == (None, 200, 32)
    pre = first_layer_model(model, FIRST_BN_LAYER)(x, training=False)
    # The activation layer's output is exp of the BN output, with weights shared.
    np.testing.assert_allclose(
        sub(x, training=False).numpy(), np.exp(pre.numpy()), rtol=1e-5, atol=1e-6
    )
    with pytest.raises(InputError, match="no layer"):
        first_layer_model(model, "nope")


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("cnn-4", "cnn-2"),
        ("CNN-4", "cnn-2"),
        ("cnn-25", "cnn-50"),
        ("cnn_deep", "cnn-deep"),
        ("CNN-deep", "cnn-deep"),
        ("CNN_Deep", "cnn-deep"),
        ("cnn_dist_log", "cnn-dist-log"),
        ("ResidualBind", "residualbind"),
        ("Basset", "basset"),
    ],
)
def test_aliases(alias: str, canonical: str) -> None:
    assert canonical_model_name(alias) == canonical
    assert MODEL_ALIASES.get("cnn-4") == "cnn-2"


def test_alias_builds_same_model() -> None:
    a = build_model("cnn-4")
    b = build_model("cnn-2")
    assert a.name == b.name == "cnn_2"
    assert [lay.output.shape for lay in a.layers] == [lay.output.shape for lay in b.layers]
    assert build_model("cnn-25").get_layer("pool1").output.shape[1] == 4


def test_unknown_model_lists_names() -> None:
    with pytest.raises(InputError) as info:
        build_model("cnn-3")
    msg = str(info.value)
    assert "cnn-3" in msg
    for name in (*MODEL_NAMES, "cnn-4", "cnn-25"):
        assert name in msg


@pytest.mark.parametrize(
    "kwargs",
    [
        {"activation": "swish"},
        {"input_length": 0},
        {"input_length": 20},
        {"n_outputs": 0},
        {"first_layer_initializer": "bogus"},
        {"first_layer_initializer": "random_normal:-1"},
        {"first_layer_initializer": "he_normal:2"},
        {"first_layer_l2": -1.0},
        {"l2_norm": True},
        {"bogus": 1},
    ],
)
def test_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(InputError):
        build_model("cnn-deep", **kwargs)


def test_no_batchnorm_control() -> None:
    model = build_model("cnn-deep", "exp", first_layer_batchnorm=False)
    names = [layer.name for layer in model.layers]
    assert FIRST_BN_LAYER not in names
    assert names[1:3] == [FIRST_CONV_LAYER, FIRST_ACTIVATION_LAYER]
    assert not model.get_layer(FIRST_CONV_LAYER).use_bias
    assert "conv2_bn" in names  # only the first layer loses BN
    assert first_layer_model(model).output_shape == (None, 200, 32)


def test_initializer_controls() -> None:
    # the §8 controls: Keras' default kernels, the first conv set on its own
    model = build_model(
        "cnn-deep", kernel_initializer="glorot_uniform", first_layer_initializer="he_normal"
    )
    assert isinstance(model.get_layer("conv1").kernel_initializer, keras.initializers.HeNormal)
    assert isinstance(model.get_layer("conv2").kernel_initializer, keras.initializers.GlorotUniform)
    keras.backend.clear_session()
    model = build_model("cnn-deep", "exp", first_layer_initializer="random_normal:0.5")
    init = model.get_layer("conv1").kernel_initializer
    assert isinstance(init, keras.initializers.RandomNormal)
    assert init.stddev == pytest.approx(0.5) and init.mean == 0.0
    kernel = model.get_layer("conv1").kernel.numpy()
    assert kernel.shape == (19, 4, 32)
    assert np.std(kernel) == pytest.approx(0.5, rel=0.1)


def test_first_layer_l2_and_log_variants() -> None:
    model = build_model("cnn-deep", first_layer_l2=0)
    assert model.get_layer("conv1").kernel_regularizer is None
    assert model.get_layer("conv2").kernel_regularizer is not None
    keras.backend.clear_session()
    _assert_regularised(build_model("cnn-deep", first_layer_l2=1e-3), 1e-3)
    keras.backend.clear_session()
    _assert_regularised(build_model("cnn-dist-log", "log_relu", l2_norm=False), None)
    keras.backend.clear_session()
    model = build_model("cnn-deep-log", "log_relu")
    _assert_regularised(model, 0.1)
    _assert_first_block(model, "log_relu")
    assert model.get_layer("pool3").padding == "same"
    keras.backend.clear_session()
    dist_log = build_model("cnn-dist-log")
    assert isinstance(
        dist_log.get_layer("logits").kernel_initializer, keras.initializers.GlorotNormal
    )
    assert all(dist_log.get_layer(f"pool{i}").padding == "same" for i in (1, 2, 3))
    with pytest.raises(InputError):
        build_model("cnn-deep-log", l2_norm=True, first_layer_l2=0.1)


def test_weights_round_trip(tmp_path) -> None:
    path = str(tmp_path / "weights.h5")
    model = build_model("cnn-deep", "exp_scale:0.5")
    x = tf.one_hot(np.random.default_rng(1).integers(0, 4, (4, 200)), 4)
    # Move BN statistics away from their initial values so the check covers them too.
    for w in model.weights:
        w.assign(w + tf.random.uniform(w.shape, 0.0, 0.1))
    want = model(x, training=False).numpy()
    model.save_weights(path)
    keras.backend.clear_session()
    clone = build_model("cnn-deep", "exp_scale:0.5")
    assert not np.allclose(clone(x, training=False).numpy(), want)
    clone.load_weights(path)
    np.testing.assert_allclose(clone(x, training=False).numpy(), want, rtol=1e-6)


def test_cnn_dist_weights_load_into_log_variant(tmp_path) -> None:
    # task3_step5 reuses Task-3 CNN-dist relu weights for the cnn-dist-log "relu, no L2" arm.
    path = str(tmp_path / "dist.h5")
    dist = build_model("cnn-dist")
    x = tf.one_hot(np.random.default_rng(2).integers(0, 4, (4, 200)), 4)
    want = dist(x, training=False).numpy()
    dist.save_weights(path)
    keras.backend.clear_session()
    log_model = build_model("cnn-dist-log", "relu", l2_norm=False)
    log_model.load_weights(path)
    np.testing.assert_allclose(log_model(x, training=False).numpy(), want, rtol=1e-6)
