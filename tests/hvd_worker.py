"""Run by ``horovodrun -np 2 --gloo`` from tests/test_distributed.py (not collected by pytest).

Usage: python tests/hvd_worker.py OUT_DIR

Each rank writes ``OUT_DIR/rank<r>.json`` with what the test asserts:

- ``averaging``: one step of the toolkit's Horovod train step on 2 ranks with batch b each
  (different data per rank) against one plain single-process step with batch 2b (the two
  batches concatenated) from the same weights: the max weight difference (must be ~0), and
  the difference to a step on this rank's batch alone (must be large: the check is able to
  see a missing average). SGD, so the update is proportional to the gradient (Adam's first
  step is nearly sign(g) and would hide a factor of 2).
- ``training``: a checksum of every weight (BatchNorm statistics included) after 2 epochs of
  the distributed training loop (CNN-deep, small and quick to trace) on a tiny file of the
  er.h5 layout (200 nt, 12 targets), from different initial weights per rank.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def averaging(hvd) -> dict:
    import tensorflow as tf

    from toolkit.training.distributed import make_train_step

    def small_model():
        tf.keras.utils.set_random_seed(0)  # the same initial weights on every rank
        inputs = tf.keras.Input((50, 4))
        x = tf.keras.layers.Conv1D(6, 5, activation="relu")(inputs)
        x = tf.keras.layers.GlobalMaxPooling1D()(x)
        return tf.keras.Model(inputs, tf.keras.layers.Dense(3, activation="sigmoid")(x))

    b = 8
    batches = []
    for r in range(hvd.size()):  # every rank knows every rank's batch (seeded by rank)
        rng = np.random.default_rng(100 + r)
        x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (b, 50))]
        y = (rng.random((b, 3)) < 0.5).astype(np.float32)
        batches.append((x, y))
    x_mine, y_mine = batches[hvd.rank()]

    model = small_model()
    opt = tf.keras.optimizers.SGD(0.5)
    make_train_step(model, opt, hvd)(tf.constant(x_mine), tf.constant(y_mine))
    distributed = model.get_weights()

    def plain_step(x, y):
        ref = small_model()
        ref_opt = tf.keras.optimizers.SGD(0.5)
        with tf.GradientTape() as tape:
            loss = tf.keras.losses.BinaryCrossentropy()(y, ref(x, training=True))
        grads = tape.gradient(loss, ref.trainable_variables)
        ref_opt.apply_gradients(zip(grads, ref.trainable_variables, strict=True))
        return ref.get_weights()

    x_all = np.concatenate([x for x, _ in batches])
    y_all = np.concatenate([y for _, y in batches])
    big = plain_step(x_all, y_all)
    alone = plain_step(x_mine, y_mine)
    diff = max(float(np.abs(a - c).max()) for a, c in zip(distributed, big, strict=True))
    diff_alone = max(float(np.abs(a - c).max()) for a, c in zip(distributed, alone, strict=True))
    initial = small_model().get_weights()
    moved = max(float(np.abs(a - c).max()) for a, c in zip(distributed, initial, strict=True))
    return {"max_diff_vs_2b": diff, "max_diff_vs_own_batch": diff_alone, "max_update": moved}


def training(hvd, folder: Path) -> dict:
    import tensorflow as tf
    from reference_data import write_basset_layout

    from toolkit.data.basset import stream
    from toolkit.models import build_model
    from toolkit.training import TrainConfig
    from toolkit.training.distributed import DistConfig, train_distributed

    path = folder / "er_tiny.h5"
    if hvd.rank() == 0:
        rng = np.random.default_rng(0)

        def split(n):
            x = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (n, 200))].transpose(0, 2, 1)
            return x, (rng.random((n, 12)) < 0.2).astype(np.uint8)

        write_basset_layout(
            path, {"train": split(96), "valid": split(24), "test": split(16)}, chunk_rows=16
        )
    hvd.broadcast_object(0, root_rank=0, name="file_written")
    rank, size = hvd.rank(), hvd.size()
    train = stream(
        path,
        "train",
        batch_size=8,
        shard=(rank, size),
        seed=1,
        chunk_rows=16,
        reverse_complement="random",
    )
    valid = stream(
        path, "valid", batch_size=8, shuffle=False, shard=(rank, size), reverse_complement="both"
    )
    tf.keras.utils.set_random_seed(10 + rank)  # different inits: the broadcast must fix them
    model = build_model("cnn-deep", "exponential")
    config = TrainConfig(epochs=2, batch_size=8, monitor="val_auroc")
    history = train_distributed(
        model,
        train,
        valid,
        config,
        DistConfig(steps_per_epoch=3, warmup_epochs=1),
        hvd,
        checkpoint_dir=folder / "checkpoint",
    )
    checksum = float(sum(np.abs(w.astype(np.float64)).sum() for w in model.get_weights()))
    first = float(np.asarray(model.get_weights()[0]).ravel()[0])
    return {
        "checksum": checksum,
        "first_weight": first,
        "history": history,
        "n_weights": len(model.get_weights()),
    }


def main() -> None:
    from toolkit.training.horovod import init

    out = Path(sys.argv[1])
    hvd = init()
    result = {
        "rank": hvd.rank(),
        "size": hvd.size(),
        "averaging": averaging(hvd),
        "training": training(hvd, out),
    }
    (out / f"rank{hvd.rank()}.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
