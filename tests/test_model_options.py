"""The config's `model` section and `vary`: checked without TensorFlow, hashed into specs,
reaching build_model, and recorded as built."""

from __future__ import annotations

import pytest
import yaml

from toolkit.config import load_config, parse_config
from toolkit.config.model import model_options
from toolkit.errors import InputError

BASE = {"task": "task1", "models": ["cnn-deep"], "activations": ["relu"]}


def test_options_are_canonical_and_defaults_drop():
    # the published models' kernels (he_normal) are the default, kept in the spec because they
    # differ from the models before the key existed (everything glorot_uniform)
    assert model_options(None) == {"kernel_initializer": "he_normal"}
    assert model_options({"kernel_initializer": None}) == {"kernel_initializer": "he_normal"}
    assert (
        model_options(
            {
                "kernel_initializer": "Glorot_Uniform",
                "first_layer_initializer": "glorot_uniform",
                "first_layer_batchnorm": True,
                "first_layer_l2": "default",
                "first_layer_filters": None,
            }
        )
        == {}
    )
    assert model_options(
        {
            "first_layer_initializer": "Random_Normal:0.10",
            "output_initializer": "glorot_normal",
            "first_layer_batchnorm": False,
            "first_layer_l2": "log",
            "first_layer_filters": 64,
        }
    ) == {
        "kernel_initializer": "he_normal",
        "first_layer_initializer": "random_normal:0.1",
        "output_initializer": "glorot_normal",
        "first_layer_batchnorm": False,
        "first_layer_l2": 0.1,
        "first_layer_filters": 64,
    }
    glorot = {"kernel_initializer": "glorot_uniform"}
    assert model_options(glorot | {"first_layer_l2": "none"}) == {"first_layer_l2": 0.0}
    assert model_options(glorot | {"first_layer_l2": "paper"}) == {"first_layer_l2": 1e-6}
    # a first conv spelled as the hidden kernels is kept: the log models' own is glorot_uniform
    assert model_options({"first_layer_initializer": "he_normal"}) == {
        "kernel_initializer": "he_normal",
        "first_layer_initializer": "he_normal",
    }


@pytest.mark.parametrize(
    "section, field",
    [
        ({"first_layer_init": "he_normal"}, "model.first_layer_init"),
        ({"first_layer_initializer": "xavier"}, "model.first_layer_initializer"),
        ({"first_layer_initializer": "random_normal:-1"}, "model.first_layer_initializer"),
        ({"kernel_initializer": "xavier"}, "model.kernel_initializer"),
        ({"kernel_initializer": 3}, "model.kernel_initializer"),
        ({"output_initializer": "he_normal:2"}, "model.output_initializer"),
        ({"first_layer_batchnorm": "no"}, "model.first_layer_batchnorm"),
        ({"first_layer_l2": "strong"}, "model.first_layer_l2"),
        ({"first_layer_l2": -0.1}, "model.first_layer_l2"),
        ({"first_layer_filters": 0}, "model.first_layer_filters"),
        ({"first_layer_filters": 2.5}, "model.first_layer_filters"),
    ],
)
def test_bad_options_name_the_key(section, field):
    with pytest.raises(InputError, match=field):
        parse_config(BASE | {"model": section}, "c.yaml")


def test_spelled_out_defaults_keep_the_hash_and_options_change_it(tmp_path):
    plain = parse_config(BASE).run_specs(tmp_path)[0]
    spelled = parse_config(
        BASE | {"model": {"first_layer_batchnorm": True, "first_layer_l2": "default"}}
    ).run_specs(tmp_path)[0]
    nobn = parse_config(BASE | {"model": {"first_layer_batchnorm": False}}).run_specs(tmp_path)[0]
    assert plain.spec_hash == spelled.spec_hash
    assert nobn.spec_hash != plain.spec_hash and nobn.model_options == {
        "kernel_initializer": "he_normal",
        "first_layer_batchnorm": False,
    }


def test_vary_expands_named_variants(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        yaml.safe_dump(
            BASE
            | {
                "activations": ["relu", "exponential"],
                "trials": 2,
                "vary": {
                    "model.first_layer_initializer": ["he_normal", "random_normal:0.10"],
                    "model.first_layer_batchnorm": [True, False],
                },
            },
            sort_keys=False,  # the order of `vary` is the order of the labels
        )
    )
    specs = load_config(path).run_specs(tmp_path)
    assert len(specs) == 2 * 2 * 2 * 2 and len({s.name for s in specs}) == 16
    names = {s.name for s in specs}
    assert "cnn-deep_exponential_initializer-random_normal-0.1_batchnorm-false_1" in names
    nobn = [s for s in specs if s.variant.endswith("batchnorm-false")]
    assert all(s.model_options["first_layer_batchnorm"] is False for s in nobn)
    # paired design: a variant's trial t has the same seed as every other variant's
    assert {s.seed for s in specs if s.trial == 1} == {1}


@pytest.mark.parametrize(
    "vary, field",
    [
        ({"data.path": ["a.h5"]}, "vary.data.path"),
        ({"model.first_layer_initializer": []}, "vary.model.first_layer_initializer"),
        ({"model.first_layer_initializer": ["he_normal", "He_Normal"]}, "values repeated"),
        ({"model.first_layer_batchnorm": ["maybe"]}, "model.first_layer_batchnorm"),
        ({"train.epochs": [0]}, "train.epochs"),
    ],
)
def test_bad_vary_is_an_error(vary, field):
    with pytest.raises(InputError, match=field):
        parse_config(BASE | {"vary": vary}, "c.yaml")


def test_built_models_follow_the_options():
    from toolkit.models import build_model
    from toolkit.steps.fit import first_layer_summary

    default = build_model("cnn-deep", "exponential")
    changed = build_model(
        "cnn-deep",
        "exponential",
        first_layer_initializer="random_normal:0.1",
        first_layer_batchnorm=False,
        first_layer_l2=0.1,
        first_layer_filters=8,
    )
    assert "conv1_bn" in {layer.name for layer in default.layers}
    assert "conv1_bn" not in {layer.name for layer in changed.layers}
    built = first_layer_summary(changed)
    assert built["batchnorm"] is False and built["filters"] == 8
    assert built["l2"] == pytest.approx(0.1) and built["initializer"] == "RandomNormal(stddev=0.1)"
    assert first_layer_summary(default) | {"parameters": 0} == {
        "filters": 32,
        "kernel_size": 19,
        "initializer": "HeNormal",
        "l2": pytest.approx(1e-6),
        "batchnorm": True,
        "parameters": 0,
        "initializers": {
            **{f"conv{i}": "he_normal" for i in (1, 2, 3, 4)},
            "dense1": "he_normal",
            "logits": "glorot_uniform",
        },
    }
    assert first_layer_summary(changed)["initializers"]["conv1"] == "random_normal:0.1"
    assert set(first_layer_summary(changed)["initializers"].values()) == {
        "random_normal:0.1",
        "he_normal",
        "glorot_uniform",
    }
    with pytest.raises(InputError, match="residual block"):
        build_model("residualbind", "relu", first_layer_filters=8)
