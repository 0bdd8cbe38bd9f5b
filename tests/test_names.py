"""Config names and section checks without TensorFlow (toolkit.config.names, sections, train_config)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from toolkit.config import load_config
from toolkit.config.names import (
    INITIALIZER_NAMES,
    TOMTOM_BACKENDS,
    TOMTOM_DISTANCES,
    canonical_activation,
    canonical_initializer,
    canonical_model_name,
)
from toolkit.config.train import TrainConfig
from toolkit.errors import InputError


def test_validation_modules_import_neither_tensorflow_nor_sklearn():
    code = (
        "import sys\n"
        "import toolkit.config.inputs, toolkit.config, toolkit.config.names, toolkit.config.sections\n"
        "import toolkit.config.train\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'sklearn') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_names_are_the_builders_names():
    import toolkit.activations as activations
    import toolkit.models as models
    import toolkit.tomtom as tomtom
    from toolkit.models.layers import INITIALIZER_NAMES as LAYER_NAMES

    assert activations.canonical_activation is canonical_activation
    assert models.canonical_model_name is canonical_model_name
    assert LAYER_NAMES is INITIALIZER_NAMES
    assert (tomtom.BACKENDS, tomtom.DISTANCES) == (TOMTOM_BACKENDS, TOMTOM_DISTANCES)
    assert activations.activations("exp_scale:0.50").__name__ == "exp_scale:0.5"


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        (None, "glorot_uniform"),
        ("He_Normal", "he_normal"),
        ("random_normal", "random_normal"),
        ("random_normal:0.10", "random_normal:0.1"),
        (" random_normal : 2.0", "random_normal:2"),
    ],
)
def test_canonical_initializer(given, canonical):
    assert canonical_initializer(given) == canonical


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("he_normal:0.1", "only random_normal"),
        ("random_normal:x", "not a number"),
        ("random_normal:0", "must be > 0"),
        ("random_normal:inf", "must be > 0"),
        ("xavier", "glorot_uniform"),
        (3, "expected a name"),
    ],
)
def test_bad_initializers_are_named(given, fragment):
    with pytest.raises(InputError, match=fragment) as info:
        canonical_initializer(given)
    assert info.value.field == "first_layer_initializer"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"epochs": True}, "train.epochs"),
        ({"epochs": 2.5}, "train.epochs"),
        ({"patience": -1}, "train.patience"),
        ({"learning_rate": "1e-3"}, "train.learning_rate"),
        ({"learning_rate": 0}, "train.learning_rate"),
        ({"lr_factor": 1.0}, "train.lr_factor"),
        ({"min_lr": -1e-7}, "train.min_lr"),
        ({"shuffle": "yes"}, "train.shuffle"),
        ({"monitor": ["val_auroc"]}, "train.monitor"),
    ],
)
def test_train_values_are_typed(values, field):
    with pytest.raises(InputError) as info:
        TrainConfig.from_dict(values, "c.yaml")
    assert info.value.field == field and info.value.source == "c.yaml"


def test_training_reexports_the_same_config():
    from toolkit.training import TrainConfig as Reexported

    assert Reexported is TrainConfig


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"task": ["task1"]}, "task"),
        ({"name": ""}, "name"),
        ({"filters": {"threshold": 0}}, "filters.threshold"),
        ({"filters": {"clip_pad": -1}}, "filters.clip_pad"),
        ({"filters": {"logos": "no"}}, "filters.logos"),
        ({"tomtom": {"min_overlap": 2}}, "tomtom.min_overlap"),
        ({"tomtom": {"dist": "manhattan", "backend": "meme"}}, "tomtom.dist"),
        ({"tomtom": {"target": 5}}, "tomtom.target"),
        ({"match": {"reproduce_index0_bug": 1}}, "match.reproduce_index0_bug"),
        ({"data": {"path": ["a.h5"]}}, "data.path"),
        ({"data": {"generate": {"n_seq": 0}}}, "data.generate.n_seq"),
        ({"data": {"generate": {"split": [0.5, 0.5]}}}, "data.generate.split"),
        (
            {"task": "task4", "models": ["basset"], "distributed": {"reverse_complement": "x"}},
            "distributed.reverse_complement",
        ),
        (
            {"task": "task4", "models": ["basset"], "analysis": {"example_sequence": "ACGU"}},
            "analysis.example_sequence",
        ),
        (
            {
                "task": "task5",
                "models": ["residualbind"],
                "saliency": {"plot_end": 10, "plot_start": 20},
            },
            "saliency.plot_start",
        ),
    ],
)
def test_sections_are_checked_at_parse_time(tmp_path, values, field):
    data = tmp_path / "d.h5"
    data.write_bytes(b"")  # tasks without a generator need an existing data.path to parse
    base = {"task": "task1", "models": ["cnn-deep"], "activations": ["relu"]}
    if values.get("task") in ("task4", "task5"):
        base["data"] = {"path": str(data)}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(base | values))
    with pytest.raises(InputError) as info:
        load_config(path)
    assert info.value.source == str(path) and info.value.field == field, str(info.value)


def test_a_name_with_a_slash_needs_an_explicit_results_folder(tmp_path, capsys):
    import yaml

    from toolkit.cli import main

    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {"task": "task1", "name": "a/b", "models": ["cnn-deep"], "activations": ["relu"]}
        )
    )
    assert main(["run", str(config), "--check"]) == 2
    err = capsys.readouterr().err
    assert "c.yaml" in err and "name" in err and "--results" in err
    assert main(["run", str(config), "--check", "--results", str(tmp_path / "r")]) == 0
    assert not (tmp_path / "r").exists()
