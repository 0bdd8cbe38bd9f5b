"""Benchmark: one CNN-deep training epoch on 21,000 Task 1 sequences, against this machine's
own fp32 matmul peak.

Usage: .venv/bin/python bench/bench_train.py [--n-train 21000] [--epochs 2]

Prints seconds per epoch (the first epoch includes graph tracing, so the last one is used),
the model's training FLOPs per epoch (forward conv/dense multiply-adds x 2, and backward
counted as twice the forward, the usual 3x rule), the achieved GFLOP/s, and that as a fraction
of a large square fp32 matmul measured in the same process with the same thread settings.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def forward_flops(model) -> int:
    """Multiply-add FLOPs (x2) of the Conv1D and Dense layers for one sequence."""
    import tensorflow as tf

    total = 0
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.Conv1D):
            _, length_out, filters = layer.output.shape
            kernel, channels_in, _ = layer.kernel.shape
            total += 2 * length_out * kernel * channels_in * filters
        elif isinstance(layer, tf.keras.layers.Dense):
            n_in, n_out = layer.kernel.shape
            total += 2 * n_in * n_out
    return int(total)


def matmul_peak(size: int = 2048, repeats: int = 10) -> float:
    """Best-of GFLOP/s of a size x size fp32 matmul in TensorFlow."""
    import tensorflow as tf

    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    tf.linalg.matmul(a, b).numpy()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-train", type=int, default=21000)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()

    import tensorflow as tf

    from toolkit.models import build_model
    from toolkit.training.train import compile_model

    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(args.n_train, 200))]
    y = (rng.random((args.n_train, 12)) < 0.2).astype(np.float32)
    tf.keras.utils.set_random_seed(0)
    model = compile_model(build_model("cnn-deep", activation="exponential"))
    times = []
    for _ in range(args.epochs):
        t0 = time.perf_counter()
        model.fit(x, y, batch_size=100, epochs=1, verbose=0)
        times.append(time.perf_counter() - t0)
    epoch_s = times[-1]
    flops = 3 * forward_flops(model) * args.n_train
    achieved = flops / epoch_s / 1e9
    peak = matmul_peak()
    print(
        f"threads: intra {tf.config.threading.get_intra_op_parallelism_threads() or 'auto'}, "
        f"cpus {os.cpu_count()}"
    )
    print(f"epoch times (s): {', '.join(f'{t:.2f}' for t in times)}")
    print(f"CNN-deep epoch on {args.n_train} sequences: {epoch_s:.2f} s")
    print(f"training FLOPs per epoch: {flops / 1e9:.1f} GFLOP -> {achieved:.1f} GFLOP/s")
    print(f"fp32 matmul peak (2048^2, TF): {peak:.1f} GFLOP/s")
    print(f"fraction of peak: {achieved / peak:.2f}")


if __name__ == "__main__":
    main()
