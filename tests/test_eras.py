"""The era table (toolkit/eras.py): every shipped config names the code era of the figure it
reproduces, and the models it builds have exactly that era's kernel initializers."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from toolkit.config import load_config
from toolkit.eras import ERAS, OWN_DATA_CONFIGS, REANALYSIS_CONFIGS, era_of

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SHIPPED = sorted(str(p.relative_to(CONFIGS)) for p in CONFIGS.rglob("*.yaml"))
IN_TABLE = sorted(c for era in ERAS for c in era.configs)


def test_every_shipped_config_is_in_the_table_once():
    listed = IN_TABLE + list(REANALYSIS_CONFIGS) + list(OWN_DATA_CONFIGS)
    assert len(listed) == len(set(listed)), "a config in two rows"
    assert sorted(listed) == SHIPPED


@pytest.mark.parametrize("config", IN_TABLE)
def test_shipped_models_have_their_eras_kernels(config, tmp_path):
    from toolkit.config.model import build_kwargs
    from toolkit.models import build_model
    from toolkit.models.initializers import kernel_initializers

    era = era_of(config)
    # a data set the user downloads (Task 2, 4-6) need not exist for its models to be built
    raw = yaml.safe_load((CONFIGS / config).read_text())
    over = {}
    if "path" in (raw.get("data") or {}):
        (tmp_path / "data.h5").touch()
        over = {"data": {"path": str(tmp_path / "data.h5")}}
    sweep = load_config(CONFIGS / config, over)
    variants = [options for _, _, options in sweep.variants] or [sweep.model_options]
    built: set[tuple] = set()
    for model, activation, variant in (
        (m, a, v) for m in sweep.models for a in sweep.activations for v in variants
    ):
        key = (model, activation, tuple(sorted(variant.items())))
        if key in built:
            continue
        built.add(key)
        options = build_kwargs(variant)  # as the training step builds it
        spec = argparse.Namespace(model=model, activation=activation, name=str(key))
        kernels = kernel_initializers(build_model(spec.model, spec.activation, **options))
        first = kernels.pop("conv1")
        head = kernels.pop("logits")
        residual = {k: kernels.pop(k) for k in list(kernels) if k.startswith("residual")}
        assert set(kernels.values()) == {era.kernel_initializer}, (config, spec.name, kernels)
        assert set(residual.values()) <= {"he_normal"}  # the original's residual block, always
        if era.first_conv == "kernel":
            assert first == era.kernel_initializer, (config, spec.name)
        elif era.first_conv == "glorot_uniform":
            assert first == "glorot_uniform", (config, spec.name)
        else:  # the control sets it; unset means the era's kernels
            assert first == options.get("first_layer_initializer", era.kernel_initializer)
        assert head == ("glorot_normal" if spec.model == "cnn-dist-log" else "glorot_uniform")
    assert built


def test_keras_default_configs_keep_the_hashes_of_the_models_before_the_key(tmp_path):
    """A glorot-era config builds the model every config built before `kernel_initializer`
    existed, so its runs keep their spec hashes (finished runs are not redone); a run whose
    kernels changed (he_normal, the new default) gets a new hash."""
    import hashlib
    import json
    from dataclasses import asdict

    from toolkit.config import parse_config

    base = {"task": "task1", "models": ["cnn-deep"], "activations": ["relu"]}
    glorot = parse_config(base | {"model": {"kernel_initializer": "glorot_uniform"}})
    spec = glorot.run_specs(tmp_path)[0]
    values = asdict(spec)
    for later in ("extra", "model_options", "variant"):
        del values[later]
    old = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
    assert spec.model_options == {} and spec.spec_hash == old[:16]
    published = parse_config(base).run_specs(tmp_path)[0]
    assert published.model_options == {"kernel_initializer": "he_normal"}
    assert published.spec_hash != spec.spec_hash
    # the first conv alone, as the initialization control set it before, keeps its hash too
    he_first = parse_config(
        base
        | {
            "model": {
                "kernel_initializer": "glorot_uniform",
                "first_layer_initializer": "he_normal",
            }
        }
    ).run_specs(tmp_path)[0]
    assert he_first.model_options == {"first_layer_initializer": "he_normal"}
