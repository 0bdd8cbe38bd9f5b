"""Benchmark: CNN-deep training on 21,000 Task 1-shaped sequences, the project's ``train()``
against the seed's plain ``model.fit`` in the same process, and against this machine's own
fp32 matmul peak.

Usage: .venv/bin/python bench/bench_train.py [--n-train 21000] [--n-valid 3000] [--epochs 2]
       [--rounds 2] [--variant engine=fast] [--variant engine=fast,bf16=true]
       [--variant engine=fast,bf16=true,fused_dropout=true] [--intra N] [--inter N]
       [--seed-without-metrics]

The seed's loop is the original code's: ``compile(Adam(1e-3), BCE, metrics=['accuracy',
AUC(ROC), AUC(PR)])`` and ``fit(x, y, batch_size=100, validation_data=(x_valid, y_valid))``.
Each ``--variant`` is ``toolkit.training.train`` with those ``train`` keys (default:
``engine=fast``), plus three keys of this benchmark's own that take the fast engine apart:
``fused_bn=false`` (Keras' batch norm in the twin), ``packed_dropout=false`` (Keras' dropout)
and ``checkpoint=true`` (epoch checkpoints to a temporary folder, as every run of a sweep
writes). ``--seed-without-metrics`` adds the seed's fit compiled without metrics (what the
training-batch and validation AUCs cost). Every round trains a fresh seeded model with the seed's loop and then with each
variant for ``--epochs`` epochs, in the same process, one after the other (A, B, A, B...), so
that whatever else the machine runs weighs on all of them alike; the ratios are of medians over
rounds. An epoch's time is from its begin to its end hook (training batches and the validation
pass); the first epoch includes tracing, so the steady epoch is the median of the others.

Printed: epoch times, seq/s (training sequences per steady-epoch second), the ratio of each
variant's seq/s to the seed loop's, and the fraction of the matmul peak: training FLOPs per
epoch (forward conv/dense multiply-adds x 2, backward counted as twice the forward, the usual
3x rule) per steady-epoch second over a large square fp32 matmul measured in the same process
with the same thread settings.
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


def parse_variant(text: str) -> dict:
    """``engine=fast,bf16=true`` -> ``{"engine": "fast", "bf16": True}``."""
    values = {}
    for item in filter(None, text.split(",")):
        key, _, raw = item.partition("=")
        low = raw.strip().lower()
        if low in ("true", "false"):
            values[key.strip()] = low == "true"
        else:
            try:
                values[key.strip()] = int(raw) if raw.strip().isdigit() else float(raw)
            except ValueError:
                values[key.strip()] = raw.strip()
    return values


def _epoch_clock():
    """A Keras callback that records every epoch's wall and CPU (process) seconds."""
    import tensorflow as tf

    class EpochClock(tf.keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times: list[float] = []
            self.cpu: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.begin = time.perf_counter()
            self.cpu_begin = time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.begin)
            self.cpu.append(time.process_time() - self.cpu_begin)

    return EpochClock()


def _model():
    import tensorflow as tf

    from toolkit.models import build_model

    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(0)
    return build_model("cnn-deep", activation="exponential")


def seed_loop(data, epochs: int, metrics: bool = True) -> tuple[list[float], list[float]]:
    """The original code's compile and fit; every epoch's wall and CPU seconds."""
    import tensorflow as tf

    x, y, xv, yv = data
    model = _model()
    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3),
        loss=tf.keras.losses.BinaryCrossentropy(from_logits=False, label_smoothing=0.0),
        metrics=[
            "accuracy",
            tf.keras.metrics.AUC(curve="ROC", name="auroc"),
            tf.keras.metrics.AUC(curve="PR", name="aupr"),
        ]
        if metrics
        else None,
    )
    clock = _epoch_clock()
    model.fit(
        x, y, batch_size=100, validation_data=(xv, yv), epochs=epochs, callbacks=[clock], verbose=0
    )
    return clock.times, clock.cpu


def project_train(data, epochs: int, keys: dict) -> tuple[list[float], list[float]]:
    """``toolkit.training.train`` with the ``train`` keys ``keys`` (and this benchmark's
    ``fused_bn``, ``packed_dropout``, ``checkpoint``); every epoch's wall and CPU seconds."""
    import tempfile
    from unittest import mock

    from toolkit.training import TrainConfig, fast_layers, train

    keys = dict(keys)
    patches = [
        mock.patch.object(fast_layers, name, lambda layer: False)
        for key, name in (
            ("fused_bn", "_fusable_batch_norm"),
            ("packed_dropout", "_packable_dropout"),
        )
        if not keys.pop(key, True)
    ]
    checkpoint = keys.pop("checkpoint", False)
    x, y, xv, yv = data
    clock = _epoch_clock()
    config = TrainConfig.from_dict({"epochs": epochs, **keys}, "bench_train")
    with tempfile.TemporaryDirectory() as scratch:
        for patch in patches:
            patch.start()
        try:
            train(
                _model(), x, y, xv, yv, config, progress=False, extra_callbacks=[clock],
                checkpoint_dir=scratch if checkpoint else None,
            )  # fmt: skip
        finally:
            for patch in patches:
                patch.stop()
    return clock.times, clock.cpu


def _steady(times: list[float]) -> float:
    return float(np.median(times[1:] if len(times) > 1 else times))


def _report(args, names: list[str], runs: dict[str, list[tuple[list, list]]]) -> None:
    import tensorflow as tf

    flops = 3 * forward_flops(_model()) * args.n_train
    peak = matmul_peak()
    print(
        f"threads: intra {tf.config.threading.get_intra_op_parallelism_threads() or 'auto'}, "
        f"inter {tf.config.threading.get_inter_op_parallelism_threads() or 'auto'}, "
        f"cpus {os.cpu_count()}; {args.n_train} training + {args.n_valid} validation "
        f"sequences, batch 100, {args.epochs} epochs x {args.rounds} rounds"
    )
    print(f"training FLOPs per epoch: {flops / 1e9:.1f} GFLOP; fp32 matmul peak {peak:.1f} GFLOP/s")
    seed_epoch = float(np.median([_steady(t) for t, _ in runs[names[0]]]))
    seed_cpu = float(np.median([_steady(c) for _, c in runs[names[0]]]))
    for name in names:
        steady = [_steady(t) for t, _ in runs[name]]
        epoch_s = float(np.median(steady))
        cpu_s = float(np.median([_steady(c) for _, c in runs[name]]))
        print(f"\n{name}")
        for r, (times, cpu) in enumerate(runs[name]):
            print(
                f"  round {r + 1} epoch wall (s): {', '.join(f'{t:.2f}' for t in times)}; "
                f"CPU (s): {', '.join(f'{t:.2f}' for t in cpu)}"
            )
        print(
            f"  steady epoch {epoch_s:.2f} s -> {args.n_train / epoch_s:.0f} seq/s, "
            f"{flops / epoch_s / 1e9:.1f} GFLOP/s = {flops / epoch_s / 1e9 / peak:.2f} of peak; "
            f"ratio to the seed loop {seed_epoch / epoch_s:.2f} "
            f"(per round: {', '.join(f'{seed_epoch / s:.2f}' for s in steady)}); "
            f"CPU seconds per epoch {cpu_s:.2f}, ratio {seed_cpu / cpu_s:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-train", type=int, default=21000)
    parser.add_argument("--n-valid", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variant", action="append", default=None, help="train keys, k=v,...")
    parser.add_argument("--intra", type=int, default=0, help="intra-op threads (0: TF's)")
    parser.add_argument("--inter", type=int, default=0, help="inter-op threads (0: TF's)")
    parser.add_argument("--seed-without-metrics", action="store_true")
    args = parser.parse_args()

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.intra)
    tf.config.threading.set_inter_op_parallelism_threads(args.inter)
    rng = np.random.default_rng(0)
    n = args.n_train + args.n_valid
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, 200))]
    y = (rng.random((n, 12)) < 0.2).astype(np.float32)
    data = (x[: args.n_train], y[: args.n_train], x[args.n_train :], y[args.n_train :])
    variants = {
        f"train() {v or '(defaults)'}": parse_variant(v) for v in args.variant or ["engine=fast"]
    }
    bare = "seed's fit compiled without metrics"
    names = ["seed loop (compile + fit, 3 metrics)", *([bare] if args.seed_without_metrics else [])]
    names += list(variants)
    runs: dict[str, list[tuple[list, list]]] = {name: [] for name in names}
    for _ in range(args.rounds):
        runs[names[0]].append(seed_loop(data, args.epochs))
        if args.seed_without_metrics:
            runs[bare].append(seed_loop(data, args.epochs, metrics=False))
        for name, keys in variants.items():
            runs[name].append(project_train(data, args.epochs, keys))
    _report(args, names, runs)


if __name__ == "__main__":
    main()
