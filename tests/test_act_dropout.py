"""The compiled activation-dropout kernel against its NumPy reference, and its build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from toolkit.training.act_dropout import LEVELS, act_dropout, reference_draws  # noqa: E402


def test_the_reference_draw_is_splitmix64():
    """Seed 0 mixes to stream 0, so the words are SplitMix64's published sequence from
    state 0 (Steele, Lea & Flood 2014; the reference C code's first outputs)."""
    words = reference_draws(0, 12).astype("<u2").view("<u8")
    assert [int(w) for w in words] == [
        0xE220A8397B1DCDAF,
        0x6E789E6AA1B965F4,
        0x06C45D188009454F,
    ]
    # lane k of a word is its k-th 16 bits, lowest first
    assert reference_draws(0, 4).tolist() == [0xCDAF, 0x7B1D, 0xA839, 0xE220]


def _expected(x: np.ndarray, seed: int, rate: float, activation: str) -> tuple:
    threshold = round(rate * LEVELS)
    scale = np.float32(LEVELS / (LEVELS - threshold))
    keep = reference_draws(seed, x.size).reshape(x.shape) >= threshold
    if activation == "relu":
        y, passes = np.maximum(x, 0), keep & (x > 0)
    else:
        y, passes = x, keep
    return np.where(keep, y * scale, 0).astype(np.float32), np.where(passes, scale, 0)


# shapes: fewer than 4 elements, not a multiple of 4, several 256-element blocks and shards
@pytest.mark.parametrize("shape", [(3,), (3, 37, 5), (100, 200, 32)])
@pytest.mark.parametrize("activation", ["linear", "relu"])
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("x_dtype", ["float32", "bfloat16"])
def test_forward_and_gradient_match_the_reference(shape, activation, dtype, x_dtype):
    x = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    xt = tf.cast(tf.constant(x), x_dtype)
    x = tf.cast(xt, tf.float32).numpy()  # the values the kernel sees
    seed, rate = -987654321, 0.3
    expected, slope = _expected(x, seed, rate, activation)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = act_dropout(xt, tf.constant(seed, tf.int64), rate, activation, tf.as_dtype(dtype))
        loss = tf.reduce_sum(tf.cast(y, tf.float32) * 3.0)
    assert y.dtype == tf.as_dtype(dtype) and y.shape == shape
    if dtype == "bfloat16":  # rounded to nearest even: the cast TensorFlow would do
        expected = tf.cast(expected, tf.bfloat16).numpy()
    np.testing.assert_array_equal(y.numpy(), expected)
    gradient = tape.gradient(loss, xt)
    assert gradient.dtype == xt.dtype  # in x's dtype, rounded as TensorFlow's cast would
    expected_gradient = tf.cast(3.0 * slope.astype(np.float32), x_dtype).numpy()
    np.testing.assert_allclose(
        gradient.numpy().astype(np.float32), expected_gradient.astype(np.float32), rtol=1e-6
    )


def test_the_drop_rate_and_the_expectation():
    x = tf.ones([1_000_000])
    for rate in (0.1, 0.5):
        y = act_dropout(x, tf.constant(11, tf.int64), rate).numpy()
        dropped = np.mean(y == 0)
        sigma = np.sqrt(rate * (1 - rate) / y.size)
        assert abs(dropped - rate) < 5 * sigma, (rate, dropped)
        assert abs(y.mean() - 1.0) < 5 * sigma / (1 - rate)


def test_the_seed_picks_the_mask():
    x = tf.ones([4096])
    first = act_dropout(x, tf.constant(5, tf.int64), 0.5).numpy()
    np.testing.assert_array_equal(act_dropout(x, tf.constant(5, tf.int64), 0.5).numpy(), first)
    other = act_dropout(x, tf.constant(6, tf.int64), 0.5).numpy()
    assert 0.4 < np.mean((first == 0) != (other == 0)) < 0.6  # independent masks


def test_rate_zero_keeps_everything_and_bad_arguments_are_refused():
    x = tf.constant([-1.0, 2.0, -3.0, 4.0, 5.0])
    np.testing.assert_array_equal(
        act_dropout(x, tf.constant(1, tf.int64), 0.0, "relu").numpy(), [0, 2, 0, 4, 5]
    )
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        act_dropout(x, tf.constant(1, tf.int64), 1.0)
    with pytest.raises(ValueError, match="activation must be one of"):
        act_dropout(x, tf.constant(1, tf.int64), 0.1, "tanh")


def test_specs_without_the_kernel_need_no_compiler(monkeypatch):
    """Only a fast-engine spec with ``fused_dropout`` builds the kernel (the keras engine
    ignores the key); the build itself, and its failure, are the tests below."""
    from types import SimpleNamespace

    from toolkit.training import custom_ops

    def no_build(name):
        raise AssertionError(f"{name} built for specs that do not use it")

    monkeypatch.setattr(custom_ops, "custom_ops", no_build)
    custom_ops.require_kernels(
        [
            SimpleNamespace(train={"engine": "fast", "bf16": True}),
            SimpleNamespace(train={"engine": "keras", "fused_dropout": True}),
            SimpleNamespace(train={"fused_dropout": True}),  # the keras engine by default
        ]
    )


def test_an_unwritable_cache_is_named(tmp_path):
    from toolkit.training.custom_ops import KernelBuildError, _build

    blocked = tmp_path / "file"
    blocked.write_text("")  # a file where the cache folder would be
    with pytest.raises(KernelBuildError, match="cannot write the kernel cache .*EXPACT_OPS_DIR"):
        _build(Path("act_dropout.cc"), blocked / "ops" / "act_dropout-0.so", [], [])


def test_a_built_library_is_loaded_not_rebuilt(tmp_path):
    """The cached build (this session's, copied) is what another process loads: with a
    compiler that cannot run, nothing could be rebuilt."""
    import shutil

    from toolkit.training.custom_ops import custom_ops

    custom_ops("act_dropout")  # built (or found) in this session's folder
    (built,) = Path(os.environ["EXPACT_OPS_DIR"]).glob("act_dropout-*.so")
    library = Path(shutil.copy2(built, tmp_path))
    stamp = library.stat().st_mtime_ns
    code = (
        "import tensorflow as tf\n"
        "from toolkit.training.act_dropout import act_dropout\n"
        "print(act_dropout(tf.ones([8]), tf.constant(3, tf.int64), 0.0).numpy().sum())\n"
    )
    env = {**os.environ, "EXPACT_OPS_DIR": str(tmp_path), "CXX": "no-such-compiler"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == "8.0"
    assert [p.name for p in tmp_path.iterdir()] == [library.name]
    assert library.stat().st_mtime_ns == stamp


def test_expact_run_without_a_compiler_stops_before_any_compute(tmp_path):
    """A fresh kernel cache and no compiler: the command line's check fails naming the key
    and what to install, with no data set generated, no run folder, nothing half-written."""
    import yaml

    config = {
        "task": "task1",
        "name": "nocompiler",
        "models": ["cnn-deep"],
        "activations": ["relu"],
        "data": {"generate": {"n_seq": 300, "pfm": None}},
        "train": {"engine": "fast", "fused_dropout": True, "epochs": 1},
    }
    path = tmp_path / "nocompiler.yaml"
    path.write_text(yaml.safe_dump(config))
    results = tmp_path / "results"
    env = {**os.environ, "EXPACT_OPS_DIR": str(tmp_path / "ops"), "CXX": "no-such-compiler"}
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", "run", str(path), "--results", str(results)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "train.fused_dropout" in done.stderr and "needs a C++ compiler" in done.stderr
    assert not (results / "runs").exists()
    assert "'no-such-compiler' was not found" in done.stderr
    assert not list(results.rglob("*.h5"))  # the data set was not generated
    assert not list((tmp_path / "ops").glob("*"))  # no partial library left behind
