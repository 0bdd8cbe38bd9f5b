"""Train + evaluate + save on every rank of a launch: the first block of a data-parallel step.

The distributed twin of :mod:`toolkit.steps.fit`: every rank of the launch (``horovodrun -np
N``, a Slurm job with N tasks from ``expact submit``, or a plain single process) streams its
own shard of the training data (:mod:`toolkit.data.basset`, never the whole file in memory),
and :func:`toolkit.training.distributed.train_distributed` averages the gradients. Rank 0
writes the checkpoints, ``weights.h5`` and ``history.json``; the test predictions of all ranks
are gathered and scored on rank 0 (per-class sklearn AUROC/AUPR, mean and std over the
targets, as the original's TSV).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

import numpy as np

from toolkit.config import RunSpec
from toolkit.config.model import build_kwargs
from toolkit.errors import InputError
from toolkit.run_folder import RunFolder, SweepManifest
from toolkit.steps.fit import Fitted, save_model

log = logging.getLogger(__name__)


@dataclass
class DistributedFit(Fitted):
    """A :class:`~toolkit.steps.fit.Fitted` of one rank, with what the record says of the launch.

    Attributes
    ----------
    rank, size : int
        This process's rank and the number of ranks.
    eval_rc : str
        The reverse complements the evaluation streams read (``both`` or ``none``).
    sections : dict
        The record's ``resumed_from_epoch``, ``distributed``, ``data`` and ``metrics_std``
        (rank 0 only; empty on other ranks).
    """

    rank: int = 0
    size: int = 1
    eval_rc: str = "none"
    sections: dict = field(default_factory=dict)


def distributed_fit(spec: RunSpec, run: RunFolder, progress: bool = True) -> DistributedFit:
    """Train the spec's model on this rank's shard; on rank 0 save it and score the test split.

    Other ranks return with ``metrics`` empty: only rank 0 writes anything.
    """
    import tensorflow as tf

    from toolkit.training import TrainConfig, metrics
    from toolkit.training.distributed import DistConfig, predict_gathered, train_distributed
    from toolkit.training.horovod import init

    hvd = init(SweepManifest(run.results_dir).rendezvous)
    rank, size = hvd.rank(), hvd.size()
    if rank == 0:
        run.path.mkdir(parents=True, exist_ok=True)
    dist = DistConfig.from_dict(spec.extra.get("distributed"))
    config = TrainConfig.from_dict(spec.train)
    if not config.shuffle:
        raise InputError(
            None,
            "train.shuffle",
            "distributed training reads shuffled shards; shuffle: false is not supported",
        )
    per_rank = dist.batch_per_rank(config.batch_size, size)  # sequences per rank and step
    streams = _streams(spec, dist, per_rank, rank, size)
    t0 = time.time()  # the training's lap spans model building and the loop
    model = _model(spec, streams["train"])
    log.info(
        "rank %d/%d: training %s (seed %d), %d steps/epoch of %d sequences per rank",
        rank,
        size,
        spec.name,
        spec.seed,
        streams["train"].steps_per_epoch,
        per_rank,
    )
    history = train_distributed(
        model,
        streams["train"],
        streams["valid"],
        config,
        dist,
        hvd,
        checkpoint_dir=run.checkpoint,
        progress=progress,
    )
    timings = {"train": round(time.time() - t0, 3)}
    # every rank's weight checksum: identical when the ranks stayed in step
    checksum = float(sum(np.abs(w.astype(np.float64)).sum() for w in model.get_weights()))
    checksums = hvd.allgather(tf.constant([checksum], tf.float64), name="expact_checksums")
    t1 = time.time()
    y_test, p_test = predict_gathered(model, streams["test"], hvd, limit=dist.max_eval_sequences)
    timings["evaluate"] = round(time.time() - t1, 3)
    fitted = DistributedFit(model, history, {}, timings, rank, size, streams["eval_rc"])
    if rank != 0:
        return fitted
    resumed_from = history.pop("resumed_from", None)
    save_model(model, history, run)
    fitted.metrics = metrics(y_test, p_test)
    roc = np.asarray(fitted.metrics["auroc_per_class"])
    pr = np.asarray(fitted.metrics["aupr_per_class"])
    log.info(
        "test AUROC %.4f+/-%.4f AUPR %.4f+/-%.4f over %d targets",
        np.nanmean(roc),
        np.nanstd(roc),
        np.nanmean(pr),
        np.nanstd(pr),
        len(roc),
    )
    fitted.sections = {
        "resumed_from_epoch": resumed_from,
        "distributed": _launch(spec, config, dist, per_rank, size, streams, history, checksums),
        "data": {
            "path": str(spec.data["path"]),
            "n": {s: streams[s].n for s in ("train", "valid", "test")},
            "n_test_scored": int(len(y_test)),
            "reverse_complement": dist.reverse_complement,
        },
        "metrics_std": {"auroc": float(np.nanstd(roc)), "aupr": float(np.nanstd(pr))},
    }
    return fitted


def _streams(spec: RunSpec, dist, per_rank: int, rank: int, size: int) -> dict:
    """This rank's shard of the train, valid and test splits (and the evaluation's RC)."""
    from toolkit.data.basset import stream

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
        batch_size=per_rank,
        shuffle=True,
        reverse_complement=dist.reverse_complement,
        seed=spec.seed,
        **common,
    )
    evaluation = {"batch_size": 256, "shuffle": False, "reverse_complement": eval_rc}
    return {
        "train": train,
        "valid": stream(path, "valid", **evaluation, **common),
        "test": stream(path, "test", **evaluation, **common),
        "eval_rc": eval_rc,
    }


def _model(spec: RunSpec, train):
    """The spec's model, built with the trial's seed for the stream's shapes."""
    import tensorflow as tf

    from toolkit.models import build_model

    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(spec.seed)
    return build_model(
        spec.model,
        activation=spec.activation,
        input_length=train.length,
        n_outputs=train.n_targets,
        **build_kwargs(spec.model_options),
    )


def _launch(spec, config, dist, per_rank, size, streams, history, checksums) -> dict:
    """The record's ``distributed`` section: how the launch trained."""
    speeds = history.get("train_seq_per_s", [])
    train = streams["train"]
    return {
        "size": size,
        "launcher": "slurm"
        if os.environ.get("SLURM_PROCID") and size > 1
        else ("horovodrun" if size > 1 else "single process"),
        "batch": dist.batch,
        "batch_per_rank": per_rank,
        "global_batch": per_rank * size,
        "learning_rate": config.learning_rate * (size if dist.scale_lr else 1),
        "warmup_epochs": dist.warmup_epochs,
        "steps_per_epoch": min(
            train.steps_per_epoch, dist.steps_per_epoch or train.steps_per_epoch
        ),
        "train_seq_per_s": float(np.median(speeds)) if speeds else None,
        "weight_checksums": [float(v) for v in checksums.numpy()],
    }
