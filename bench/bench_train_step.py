"""Benchmark: one CNN-deep training step (batch 100) of the fast engine's twin, by variant.

Usage: .venv/bin/python bench/bench_train_step.py [--rounds 6]

Where ``bench/bench_train.py`` times whole epochs against the seed's loop, this isolates the
compiled train step (forward, gradients, Adam; 10 steps per call as the engine runs them) of
the training twin (:func:`toolkit.training.fast_layers.training_twin`) in four settings:
float32 or bfloat16 products, the packed dropout draws or the fused ReLU-dropout kernel
(``train.fused_dropout``), plus the fused kernel with bfloat16 kept out of the products into
batch norm (the default with both) against casting them back to float32 first. Every round
runs each variant once, one after the other, so that the machine's other load weighs on all
alike; printed: the median ms per step and the ratio to the float32 packed twin.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

STEPS = 10


def _step_function(model, twin, optimizer):
    import tensorflow as tf

    loss_fn = tf.keras.losses.BinaryCrossentropy()

    @tf.function
    def steps(xs, ys):
        for k in tf.range(STEPS):
            with tf.GradientTape() as tape:
                p = twin(xs[k], training=True)
                loss = loss_fn(ys[k], p) + tf.add_n(twin.losses)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))

    return steps


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args(argv)

    import tensorflow as tf

    from toolkit.models import build_model
    from toolkit.training import fast_layers

    tf.get_logger().setLevel("ERROR")  # one trace per variant is the point, not a warning
    tf.keras.utils.set_random_seed(0)
    model = build_model("cnn-deep", activation="exponential")
    optimizer = tf.keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(0)
    xs = tf.constant(np.eye(4, dtype=np.float32)[rng.integers(0, 4, (STEPS, 100, 200))])
    ys = tf.constant((rng.random((STEPS, 100, 12)) < 0.1).astype(np.float32))

    def twin(**options):
        return fast_layers.training_twin(model, tf.random.Generator.from_seed(0), **options)

    variants = {
        "float32, packed dropout": twin(),
        "bf16, packed dropout": twin(bf16=True),
        "float32, fused dropout": twin(fused_dropout=True),
        "bf16, fused dropout": twin(bf16=True, fused_dropout=True),
    }
    keep = fast_layers._feeds_folded_relu
    fast_layers._feeds_folded_relu = lambda *_: False  # the products cast back to float32
    try:
        variants["bf16, fused dropout, products cast to float32"] = twin(
            bf16=True, fused_dropout=True
        )
    finally:
        fast_layers._feeds_folded_relu = keep
    if not fast_layers.bf16_instructions():
        print("this CPU has no bf16 instructions: the bf16 variants run float32")
    functions = {name: _step_function(model, t, optimizer) for name, t in variants.items()}
    for function in functions.values():
        function(xs, ys)  # trace
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(args.rounds):
        for name, function in functions.items():
            start = time.perf_counter()
            function(xs, ys)
            function(xs, ys)
            times[name].append((time.perf_counter() - start) / (2 * STEPS) * 1e3)
    base = np.median(times["float32, packed dropout"])
    print(f"CNN-deep train step, batch 100, median of {args.rounds} rounds of {2 * STEPS} steps")
    for name, values in times.items():
        median = np.median(values)
        print(f"  {name:48s} {median:5.1f} ms/step  ({base / median:.2f}x the first)")


if __name__ == "__main__":
    main()
