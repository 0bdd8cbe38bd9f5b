"""Sweep configs: validation before compute, and stable run specs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from toolkit.config import load_config
from toolkit.errors import InputError

REPO = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, **values) -> Path:
    base = {"task": "task1", "models": ["cnn-deep"], "activations": ["relu", "exp"], "trials": 2}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(base | values))
    return path


def test_shipped_configs_are_valid():
    quick = load_config(REPO / "configs" / "task1_quick.yaml")
    # README "Two commands" states these (findings 6: why CNN-2 on the paper's full set)
    assert (quick.models, quick.activations, quick.trials) == (
        ["cnn-2"],
        ["relu", "exponential"],
        2,
    )
    spec = quick.run_specs(REPO / "results" / "task1_quick")[0]
    assert spec.data["generate"]["n_seq"] == 30000
    assert (spec.train["epochs"], spec.train["engine"]) == (30, "fast")
    full = load_config(REPO / "configs" / "task1.yaml")
    assert len(full.models) * len(full.activations) * full.trials == 510


def test_specs_are_stable_and_content_addressed(tmp_path):
    config = load_config(_write(tmp_path))
    specs = config.run_specs(tmp_path / "results")
    again = load_config(_write(tmp_path)).run_specs(tmp_path / "results")
    assert [s.spec_hash for s in specs] == [s.spec_hash for s in again]
    assert [s.name for s in specs] == [
        "cnn-deep_relu_0",
        "cnn-deep_relu_1",
        "cnn-deep_exponential_0",
        "cnn-deep_exponential_1",
    ]
    assert [s.seed for s in specs] == [0, 1, 0, 1]
    changed = load_config(_write(tmp_path, train={"epochs": 3})).run_specs(tmp_path / "results")
    assert specs[0].spec_hash != changed[0].spec_hash
    assert Path(specs[0].data["path"]).is_absolute()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"modles": ["cnn-deep"]}, "modles", "unknown key"),
        ({"models": ["cnn-7"]}, "models", "cnn-deep"),
        ({"activations": ["swish"]}, "activations", "exponential"),
        ({"trials": 0}, "trials", "positive integer"),
        ({"task": "task9"}, "task", "task1"),
        ({"train": {"epoch": 3}}, "train", "unknown keys"),
        ({"train": {"monitor": "val_acc"}}, "train.monitor", "val_aupr"),
        ({"train": {"engine": "turbo"}}, "train.engine", "fast"),
        ({"train": {"train_metrics": 1}}, "train.train_metrics", "true or false"),
        ({"tomtom": {"backend": "blast"}}, "tomtom.backend", "lite"),
        ({"tomtom": {"target": "nowhere.meme"}}, "tomtom.target", "does not exist"),
        ({"data": {"path": "missing.h5"}}, "data.path", "does not exist"),
        ({"filters": {"treshold": 0.5}}, "filters.treshold", "unknown key"),
    ],
)
def test_bad_configs_name_file_field_and_expectation(tmp_path, values, field, message):
    path = _write(tmp_path, **values)
    with pytest.raises(InputError) as info:
        load_config(path)
    text = str(info.value)
    assert str(path) in text and field in text and message in text


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(InputError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: [unclosed")
    with pytest.raises(InputError, match="not valid YAML"):
        load_config(bad)


def test_sections_are_declared_once_for_parser_checks_and_help(tmp_path, capsys):
    """One table per section: the parser's keys and defaults, the checks' rules and
    ``expact sections`` all read it."""
    from toolkit.cli import main
    from toolkit.config import parse_config
    from toolkit.config.sections import SECTIONS
    from toolkit.tasks import TASKS

    assert main(["sections", "task4"]) == 0
    out = capsys.readouterr().out
    tables = {**SECTIONS, **TASKS["task4"].sections}
    for name, section in tables.items():
        for key, default in section.items():
            assert f"{name}.{key}: default {default!r}" in out
    data = tmp_path / "d.h5"
    data.write_bytes(b"")
    config = parse_config(
        {
            "task": "task4",
            "models": ["basset"],
            "activations": ["relu"],
            "data": {"path": str(data)},
        }
    )
    assert config.sections["filters"] == dict(SECTIONS["filters"])
    assert config.extra == {name: dict(s) for name, s in TASKS["task4"].sections.items()}
