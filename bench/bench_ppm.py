"""Benchmark: filter -> PPM on the full Task 1 test set, vectorised vs the original per-hit loop.

Usage: .venv/bin/python bench/bench_ppm.py [--n 6000] [--filters 32]

The activations come from the first layer (conv + BN + exponential) of a freshly built
CNN-deep on generated Task 1 sequences, so hit counts are realistic. Prints both times,
their ratio, and checks the two results agree.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=6000, help="test sequences (paper: 6000)")
    parser.add_argument("--activation", default="exponential")
    args = parser.parse_args()

    import tensorflow as tf

    from toolkit.data import load, task1

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from reference_data import ppm_naive

    from toolkit.filters.ppm import ppm
    from toolkit.models import build_model, first_layer_model

    with tempfile.TemporaryDirectory() as tmp:
        # the test split is 20 % of the set: generate 5x the wanted test size
        path = task1(Path(tmp) / "t1.h5", n_seq=args.n * 5, progress=False)
        x = load(path, splits=("test",)).x_test
    tf.keras.utils.set_random_seed(0)
    model = build_model("cnn-deep", activation=args.activation)
    fmap = first_layer_model(model).predict(x, batch_size=1000, verbose=0)
    print(f"x {x.shape}, fmap {fmap.shape}")

    t0 = time.perf_counter()
    fast, n_windows = ppm(fmap, x)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = ppm_naive(fmap, x)
    t_slow = time.perf_counter() - t0
    np.testing.assert_allclose(fast, slow, atol=1e-5)
    print(f"windows per filter: median {int(np.median(n_windows))}, total {int(n_windows.sum())}")
    print(f"vectorised ppm: {t_fast:.3f} s")
    print(f"naive per-hit loop (original): {t_slow:.3f} s")
    print(f"speed-up: {t_slow / t_fast:.1f}x")


if __name__ == "__main__":
    main()
