"""One Task 4 run (spec §7): Basset on the Basset ``er.h5`` data, data-parallel with Horovod.

Every rank of the launch (``horovodrun -np N``, a Slurm job with N tasks from
``expact submit``, or a plain single process) runs this step for the same spec: each streams
its own shard of the training data (:mod:`toolkit.data.basset`, never the whole file in
memory), and :func:`toolkit.distributed.train.train_distributed` averages the gradients. Rank
0 writes the checkpoints, the weights and the record; the test predictions of all ranks are
gathered and scored on rank 0 (per-class sklearn AUROC/AUPR, mean and std over the 164
targets, as the original's TSV).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np

from toolkit.config import RunSpec
from toolkit.errors import InputError
from toolkit.records import RECORD_NAME, package_versions, write_json

log = logging.getLogger(__name__)


def check_data(path: str | os.PathLike) -> None:
    """Check the Basset layout of every split from metadata (the data are checked as read)."""
    from toolkit.data.basset import SPLITS, stream

    lengths = {stream(path, split, shuffle=False).length for split in SPLITS}
    targets = {stream(path, split, shuffle=False).n_targets for split in SPLITS}
    if len(lengths) != 1 or len(targets) != 1:
        raise InputError(
            path,
            "*_in/*_out",
            f"splits differ in length {sorted(lengths)} or targets {sorted(targets)}",
        )


def task4(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Train and evaluate one (model, activation, trial) cell on this rank.

    Returns
    -------
    dict
        The record on rank 0 (also written to ``run_dir/record.json``); on other ranks
        ``{"rank": r}`` and nothing is written.
    """
    import tensorflow as tf

    from toolkit.data.basset import stream
    from toolkit.distributed.launch import init
    from toolkit.distributed.train import DistConfig, predict_gathered, train_distributed
    from toolkit.models import FIRST_ACTIVATION_LAYER, build_model
    from toolkit.training import TrainConfig, metrics

    run_dir = Path(run_dir)
    results_dir = run_dir.parent.parent
    hvd = init(results_dir / "slurm" / "rendezvous")
    rank, size = hvd.rank(), hvd.size()
    if rank == 0:
        run_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    timings: dict[str, float] = {}
    dist = DistConfig.from_dict(spec.extra.get("distributed"))
    config = TrainConfig.from_dict(spec.train)
    if not config.shuffle:
        raise InputError(
            None,
            "train.shuffle",
            "distributed training reads shuffled shards; shuffle: false is not supported",
        )
    path = spec.data["path"]
    common = {
        "shard": (rank, size),
        "chunk_rows": dist.chunk_rows,
        "buffer_chunks": dist.buffer_chunks,
    }
    eval_rc = "both" if dist.reverse_complement == "both" else "none"
    train = stream(
        path,
        "train",
        batch_size=config.batch_size,
        shuffle=True,
        reverse_complement=dist.reverse_complement,
        seed=spec.seed,
        **common,
    )
    valid = stream(
        path, "valid", batch_size=256, shuffle=False, reverse_complement=eval_rc, **common
    )
    test = stream(path, "test", batch_size=256, shuffle=False, reverse_complement=eval_rc, **common)

    t0 = time.time()
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(spec.seed)
    model = build_model(
        spec.model, activation=spec.activation, input_length=train.length, n_outputs=train.n_targets
    )
    log.info(
        "rank %d/%d: training %s (seed %d), %d steps/epoch of %d sequences per rank",
        rank,
        size,
        spec.name,
        spec.seed,
        train.steps_per_epoch,
        config.batch_size,
    )
    history = train_distributed(
        model,
        train,
        valid,
        config,
        dist,
        hvd,
        checkpoint_dir=run_dir / "checkpoint",
        progress=progress,
    )
    timings["train"] = round(time.time() - t0, 3)
    # every rank's weight checksum: identical when the ranks stayed in step
    checksum = float(sum(np.abs(w.astype(np.float64)).sum() for w in model.get_weights()))
    checksums = hvd.allgather(tf.constant([checksum], tf.float64), name="expact_checksums")

    t0 = time.time()
    y_test, p_test = predict_gathered(model, test, hvd, limit=dist.max_eval_sequences)
    timings["evaluate"] = round(time.time() - t0, 3)
    if rank != 0:
        return {"rank": rank}

    resumed_from = history.pop("resumed_from", None)
    weights = run_dir / "weights.h5"
    tmp_weights = run_dir / ".weights.tmp.h5"
    model.save_weights(tmp_weights)
    tmp_weights.replace(weights)
    write_json(run_dir / "history.json", history)
    test_metrics = metrics(y_test, p_test)
    roc, pr = (
        np.asarray(test_metrics["auroc_per_class"]),
        np.asarray(test_metrics["aupr_per_class"]),
    )
    log.info(
        "test AUROC %.4f+/-%.4f AUPR %.4f+/-%.4f over %d targets",
        np.nanmean(roc),
        np.nanstd(roc),
        np.nanmean(pr),
        np.nanstd(pr),
        len(roc),
    )
    speeds = history.get("train_seq_per_s", [])
    record = {
        "status": "done",
        "spec": spec.to_dict(),
        "seed": spec.seed,
        "versions": package_versions(),
        "first_layer": FIRST_ACTIVATION_LAYER,
        "epochs_run": len(history.get("loss", [])),
        "resumed_from_epoch": resumed_from,
        "slurm": {
            k: os.environ.get(k)
            for k in (
                "SLURM_JOB_ID",
                "SLURM_ARRAY_JOB_ID",
                "SLURM_ARRAY_TASK_ID",
                "SLURM_RESTART_COUNT",
                "SLURM_NTASKS",
            )
        },
        "distributed": {
            "size": size,
            "launcher": "slurm"
            if os.environ.get("SLURM_PROCID") and size > 1
            else ("horovodrun" if size > 1 else "single process"),
            "batch_per_rank": config.batch_size,
            "global_batch": config.batch_size * size,
            "learning_rate": config.learning_rate * (size if dist.scale_lr else 1),
            "warmup_epochs": dist.warmup_epochs,
            "steps_per_epoch": min(
                train.steps_per_epoch, dist.steps_per_epoch or train.steps_per_epoch
            ),
            "train_seq_per_s": float(np.median(speeds)) if speeds else None,
            "weight_checksums": [float(v) for v in checksums.numpy()],
        },
        "data": {
            "path": str(path),
            "n": {"train": train.n, "valid": valid.n, "test": test.n},
            "n_test_scored": int(len(y_test)),
            "reverse_complement": dist.reverse_complement,
        },
        "metrics": {"auroc": test_metrics["auroc"], "aupr": test_metrics["aupr"]},
        "metrics_std": {"auroc": float(np.nanstd(roc)), "aupr": float(np.nanstd(pr))},
        "metrics_per_class": {
            "auroc": test_metrics["auroc_per_class"],
            "aupr": test_metrics["aupr_per_class"],
        },
        "match": {"match_fraction": None, "match_any": None, "coverage": None},
        "files": {"weights": weights.name, "history": "history.json"},
        "timings_s": timings,
        "wall_s": round(time.time() - started, 3),
    }
    write_json(run_dir / RECORD_NAME, record)
    shutil.rmtree(run_dir / "checkpoint", ignore_errors=True)
    return record
