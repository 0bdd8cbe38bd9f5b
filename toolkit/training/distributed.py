"""Data-parallel training with Horovod: the paper's protocol (spec §4) across processes.

Each rank trains on its own shard of the streamed data (:mod:`toolkit.data.basset`) with a
custom loop:

- gradients averaged across ranks by ``hvd.DistributedGradientTape`` (op Average; the
  averaging is proven by ``tests/test_distributed.py``, not assumed);
- the learning rate scaled by the number of ranks and warmed up linearly over
  ``warmup_epochs`` from the unscaled rate (Goyal et al. 2017; Horovod's warm-up callback);
- model and optimizer state broadcast from rank 0 before the first step (and after a resume);
- BatchNorm moving statistics (updated locally) averaged over the ranks after every epoch, so
  all ranks hold identical weights;
- validation predictions of every rank gathered, so the monitored metric (Keras AUC, as the
  paper's early stopping) is computed on the whole validation set, identically on all ranks,
  and early stopping and the LR schedule take the same decisions everywhere; the training
  loss is averaged over ranks;
- a checkpoint (weights, optimizer, schedule state) written by rank 0 after every epoch and
  restored by every rank on a resubmission (``toolkit.training.resume``'s state layout).

A rank that dies makes the collectives of the others fail; they raise
:class:`RankLostError`, which names the last checkpoint.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit import faults
from toolkit.errors import InputError
from toolkit.files import write_json
from toolkit.tasks import TASKS

log = logging.getLogger(__name__)
STATE = "state.json"


class RankLostError(RuntimeError):
    """A collective failed because another rank died or left."""


# the section's keys and defaults are declared once, in Task 4's record
_DEFAULTS = TASKS["task4"].sections["distributed"]


@dataclass
class DistConfig:
    """The ``distributed`` config section (keys, defaults and rules:
    ``toolkit.tasks.TASKS['task4'].sections['distributed']``; ``expact sections task4``).

    Attributes
    ----------
    processes : int
        Ranks of a Slurm launch (``expact submit`` asks for this many tasks on one node);
        locally ``horovodrun -np`` decides.
    batch : {"per_rank", "global"}
        ``per_rank``: ``train.batch_size`` on every rank, so the global batch grows with the
        ranks; ``global``: ``train.batch_size`` is the global batch, split evenly over the
        ranks (the paper's batch and learning rate for any number of ranks).
    scale_lr : bool
        Multiply the learning rate by the number of ranks (the global batch grows with it;
        ``per_rank`` batches only).
    warmup_epochs : float
        Linear warm-up from the unscaled to the scaled rate over this many epochs.
    reverse_complement : {"both", "random", "none"}
        ``both`` as the paper (every sequence and its RC; valid and test too), ``random`` a
        random strand per sequence and epoch (valid/test then without RC copies).
    chunk_rows, buffer_chunks : int
        Streaming loader's read size and shuffle window.
    steps_per_epoch : int
        0: one pass over each rank's shard; > 0: at most this many steps (quick runs).
    max_eval_sequences : int
        0: all; > 0: evaluate valid/test on their first sequences only (quick runs).
    """

    processes: int = _DEFAULTS["processes"]
    batch: str = _DEFAULTS["batch"]
    scale_lr: bool = _DEFAULTS["scale_lr"]
    warmup_epochs: float = _DEFAULTS["warmup_epochs"]
    reverse_complement: str = _DEFAULTS["reverse_complement"]
    chunk_rows: int = _DEFAULTS["chunk_rows"]
    buffer_chunks: int = _DEFAULTS["buffer_chunks"]
    steps_per_epoch: int = _DEFAULTS["steps_per_epoch"]
    max_eval_sequences: int = _DEFAULTS["max_eval_sequences"]

    @classmethod
    def from_dict(cls, values: dict | None) -> DistConfig:
        cfg = cls(**(values or {}))
        if cfg.processes < 1 or cfg.warmup_epochs < 0 or cfg.steps_per_epoch < 0:
            raise InputError(
                None,
                "distributed",
                "processes >= 1, warmup_epochs >= 0 and steps_per_epoch >= 0 are required",
            )
        if cfg.reverse_complement not in ("both", "random", "none"):
            raise InputError(
                None,
                "distributed.reverse_complement",
                f"expected both, random or none, got {cfg.reverse_complement!r}",
            )
        if cfg.batch not in ("per_rank", "global") or (cfg.batch == "global" and cfg.scale_lr):
            raise InputError(
                None,
                "distributed.batch",
                f"expected per_rank, or global with scale_lr: false; got {cfg.batch!r}",
            )
        return cfg

    def batch_per_rank(self, batch_size: int, size: int) -> int:
        """Sequences per rank and step for ``train.batch_size`` on ``size`` ranks."""
        if self.batch == "per_rank":
            return batch_size
        if batch_size % size:
            raise InputError(
                None,
                "train.batch_size",
                f"a global batch of {batch_size} does not split evenly over {size} ranks",
            )
        return batch_size // size


def warmup_lr(step: int, lr: float, size: int, warmup_steps: float) -> float:
    """Learning rate at ``step``: ``lr / size`` rising linearly to ``lr`` (scaled already)."""
    if warmup_steps <= 0 or size == 1:
        return lr
    progress = min(1.0, step / warmup_steps)
    return lr * (1 + (size - 1) * progress) / size


def make_train_step(model, optimizer, hvd, loss_fn=None):
    """A compiled one-step function ``(x, y) -> loss`` with Horovod-averaged gradients.

    The loss is the mean binary cross-entropy of this rank's batch plus the model's
    regularisation losses; gradients are averaged over the ranks before the update.
    """
    import tensorflow as tf

    loss_fn = loss_fn or tf.keras.losses.BinaryCrossentropy(from_logits=False)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            loss = loss_fn(y, pred)
            if model.losses:
                loss += tf.add_n(model.losses)
        tape = hvd.DistributedGradientTape(tape)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))  # noqa: B905 (autograph)
        return loss

    return step


def broadcast_state(model, optimizer, hvd) -> None:
    """Rank 0's weights and optimizer state on every rank."""
    hvd.broadcast_variables(model.variables, root_rank=0)
    hvd.broadcast_variables(optimizer.variables, root_rank=0)


def average_non_trainable(model, hvd) -> None:
    """Average BatchNorm moving statistics (and any non-trainable variable) over ranks."""
    for i, v in enumerate(model.non_trainable_variables):
        v.assign(hvd.allreduce(v, op=hvd.Average, name=f"expact_nontrainable_{i}"))


def predict_gathered(model, stream, hvd, epoch: int = 0, limit: int = 0):
    """Predictions and labels of every rank's share of ``stream``, gathered on all ranks.

    Returns
    -------
    (np.ndarray, np.ndarray)
        ``(y_true, y_pred)`` of shape (N, T) in rank order (rank 0's share first).
    """
    import tensorflow as tf

    predict = _predictor(model, stream.length)
    ys, ps, seen = [], [], 0
    for x, y in stream.batches(epoch):
        if limit and seen >= limit:
            break
        ps.append(predict(tf.constant(x)).numpy())
        ys.append(y)
        seen += len(x)
    t = stream.n_targets
    y = np.concatenate(ys) if ys else np.zeros((0, t), np.float32)
    p = np.concatenate(ps) if ps else np.zeros((0, t), np.float32)
    y_all = hvd.allgather(tf.constant(y), name="expact_gather_y").numpy()
    p_all = hvd.allgather(tf.constant(p), name="expact_gather_p").numpy()
    return y_all, p_all


_PREDICTORS: dict = {}


def _predictor(model, length: int):
    import tensorflow as tf

    key = (id(model), length)
    if key not in _PREDICTORS:
        _PREDICTORS[key] = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, length, 4], tf.float32)],
        )
    return _PREDICTORS[key]


def keras_metrics(y: np.ndarray, p: np.ndarray, model=None) -> dict[str, float]:
    """val_loss (BCE + regularisation), val_auroc, val_aupr as Keras computes them (micro)."""
    import tensorflow as tf

    out = {"loss": float(tf.keras.losses.BinaryCrossentropy()(y, p))}
    if model is not None and model.losses:
        out["loss"] += float(tf.add_n(model.losses))
    for name, curve in (("auroc", "ROC"), ("aupr", "PR")):
        metric = tf.keras.metrics.AUC(curve=curve)
        metric.update_state(y, p)
        out[name] = float(metric.result())
    return out


def load_state(directory: Path) -> dict | None:
    from toolkit.training.resume import load_state as load

    return load(directory)


def train_distributed(
    model,
    train,
    valid,
    config,
    dist: DistConfig,
    hvd,
    checkpoint_dir: str | Path | None = None,
    progress: bool = False,
) -> dict:
    """Train ``model`` data-parallel on the streams with the paper's protocol.

    Parameters
    ----------
    model : keras.Model
        Uncompiled, sigmoid outputs; built identically on every rank (rank 0's weights are
        broadcast anyway).
    train, valid : toolkit.data.basset.BassetStream
        This rank's shards (``shard=(hvd.rank(), hvd.size())``).
    config : toolkit.training.TrainConfig
        Epochs, per-rank batch size (set in the streams), learning rate, early stopping and
        LR-schedule settings (``monitor`` val_auroc / val_aupr / val_loss).
    dist : DistConfig
    hvd : module
        ``horovod.tensorflow``, initialised.
    checkpoint_dir : str or Path, optional
        Rank 0 writes a checkpoint there after every epoch; every rank resumes from it.

    Returns
    -------
    dict
        History: ``loss``, ``val_loss``, ``val_auroc``, ``val_aupr``, ``lr``, ``epoch_s``,
        ``train_seq_per_s`` (training steps only, all ranks together), one value per epoch;
        plus ``resumed_from`` (the epoch a resumed run started from, else None).

    Raises
    ------
    RankLostError
        When a collective fails because another rank died.
    """
    import tensorflow as tf
    from horovod.common.exceptions import HorovodInternalError

    rank, size = hvd.rank(), hvd.size()
    steps = train.steps_per_epoch
    if dist.steps_per_epoch:
        steps = min(steps, dist.steps_per_epoch)
    base_lr = config.learning_rate * (size if dist.scale_lr else 1)
    warmup_steps = dist.warmup_epochs * steps
    optimizer, step_fn, checkpoint = _optimizer(model, hvd, base_lr, warmup_steps)
    checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None

    mode_max = config.monitor != "val_loss"
    state = load_state(checkpoint_dir) if checkpoint_dir else None
    history, es, plateau, start_epoch, global_step = _start(state, checkpoint, mode_max, base_lr)
    resumed_from = start_epoch if state is not None else None
    if state is not None:
        log.info("rank %d: resumed from epoch %d (%s)", rank, start_epoch, checkpoint_dir)
    if state is not None and state.get("finished"):
        return history | {"resumed_from": resumed_from}

    def lost(exc: Exception, epoch: int) -> RankLostError:
        return _rank_lost(exc, epoch, rank, size, checkpoint_dir)

    try:
        broadcast_state(model, optimizer, hvd)
    except (HorovodInternalError, tf.errors.OpError) as exc:
        raise lost(exc, start_epoch) from exc
    stopped = False
    for epoch in range(start_epoch, config.epochs):
        faults.kill_rank(rank, epoch)  # test hook; inert unless EXPACT_TESTING=1
        t0 = time.perf_counter()
        try:
            schedule = (plateau["lr"], warmup_steps)
            n_steps, global_step, train_s, train_loss = _train_epoch(
                train, epoch, steps, step_fn, optimizer, global_step, schedule, hvd
            )
            average_non_trainable(model, hvd)
            y_val, p_val = predict_gathered(model, valid, hvd, limit=dist.max_eval_sequences)
        except (HorovodInternalError, tf.errors.OpError) as exc:
            raise lost(exc, epoch) from exc
        epoch_s = time.perf_counter() - t0
        val = keras_metrics(y_val, p_val, model)
        row = {
            "loss": train_loss,
            "val_loss": val["loss"],
            "val_auroc": val["auroc"],
            "val_aupr": val["aupr"],
            "lr": float(optimizer.learning_rate.numpy()),
            "epoch_s": epoch_s,
            "train_seq_per_s": n_steps * train.batch_size * size / train_s,
        }
        current = _log_epoch(history, row, epoch, config.monitor, size)
        stopped = _schedules(config, es, plateau, current, mode_max, epoch)
        if checkpoint_dir is not None and rank == 0:
            state = {"global_step": global_step, "history": history, "size": size}
            _write_checkpoint(checkpoint, checkpoint_dir, epoch, state, es, plateau)
        if stopped:
            log.info("early stopping after epoch %d", epoch + 1)
            break
    try:  # rank 0's checkpoint is complete before anyone goes on
        hvd.allreduce(tf.constant(0.0), name="expact_barrier_end")
    except (HorovodInternalError, tf.errors.OpError) as exc:
        raise lost(exc, config.epochs) from exc
    if checkpoint_dir is not None and rank == 0 and (checkpoint_dir / STATE).exists():
        write_json(checkpoint_dir / STATE, load_state(checkpoint_dir) | {"finished": True})
    return history | {"resumed_from": resumed_from}


def _rank_lost(exc: Exception, epoch: int, rank: int, size: int, checkpoint_dir) -> RankLostError:
    """The error of a collective that failed because another rank died or left."""
    last = (load_state(checkpoint_dir) or {}).get("epoch", 0) if checkpoint_dir else 0
    text = str(exc)
    detail = next(
        (line.strip() for line in text.splitlines() if "Horovod" in line),
        text.splitlines()[0] if text else "",
    )
    return RankLostError(
        f"rank {rank} of {size}: a collective failed in epoch {epoch + 1} - another rank "
        f"died or left ({type(exc).__name__}: {detail[:200]}). Last checkpoint: epoch {last};"
        " resubmit (expact retry) to resume from it."
    )


def _train_epoch(train, epoch, steps, step_fn, optimizer, global_step, schedule, hvd):
    """One epoch's training steps on this rank.

    Returns ``(steps run, global_step, seconds of the steps, train loss averaged over ranks)``.
    """
    import tensorflow as tf

    lr, warmup_steps = schedule
    size = hvd.size()
    t0 = time.perf_counter()
    losses = []
    for i, (x, y) in enumerate(train.batches(epoch)):
        if i >= steps:
            break
        optimizer.learning_rate.assign(warmup_lr(global_step, lr, size, warmup_steps))
        losses.append(float(step_fn(tf.constant(x), tf.constant(y))))
        global_step += 1
    seconds = time.perf_counter() - t0
    train_loss = float(
        hvd.allreduce(
            tf.constant(np.mean(losses), tf.float64),
            op=hvd.Average,
            name="expact_train_loss",
        )
    )
    return len(losses), global_step, seconds, train_loss


def _schedules(config, es: dict, plateau: dict, current: float, mode_max: bool, epoch: int) -> bool:
    """Early stopping and ReduceLROnPlateau after one epoch (states updated); stop now?"""
    # early stopping (Keras: min_delta 0) and ReduceLROnPlateau (Keras: min_delta 1e-4)
    better = current > es["best"] if mode_max else current < es["best"]
    es["wait"], es["best"] = (0, current) if better else (es["wait"] + 1, es["best"])
    stopped = es["wait"] >= config.patience and epoch > 0
    improved = (
        (current > plateau["best"] + 1e-4) if mode_max else (current < plateau["best"] - 1e-4)
    )
    if plateau["cooldown_counter"] > 0:
        plateau["cooldown_counter"] -= 1
    if improved:
        plateau["best"], plateau["wait"] = current, 0
    else:
        plateau["wait"] += 1
        if plateau["wait"] >= config.lr_patience and plateau["lr"] > config.min_lr:
            plateau["lr"] = max(plateau["lr"] * config.lr_factor, config.min_lr)
            plateau["wait"] = 0
            log.info("reducing the learning rate to %.3g", plateau["lr"])
    return stopped


def _write_checkpoint(checkpoint, checkpoint_dir: Path, epoch: int, state, es, plateau) -> None:
    """Rank 0's checkpoint after ``epoch`` and its state file; the previous epoch's removed."""
    prefix = checkpoint.write(str(checkpoint_dir / f"epoch{epoch + 1}"))
    write_json(
        checkpoint_dir / STATE,
        {
            "epoch": epoch + 1,
            "checkpoint": prefix,
            "finished": False,
            "global_step": state["global_step"],
            "history": state["history"],
            "early_stopping": es,
            "reduce_lr": plateau,
            "size": state["size"],
        },
    )
    for old in checkpoint_dir.glob(f"epoch{epoch}.*"):
        old.unlink(missing_ok=True)


def _log_epoch(history: dict, row: dict, epoch: int, monitor: str, size: int) -> float:
    """Append the epoch's values to the history, log them; the monitored value."""
    for k, v in row.items():
        history.setdefault(k, []).append(v)
    current = row[monitor]
    log.info(
        "epoch %d: loss %.4f %s %.4f (%.1f s, %.0f seq/s over %d ranks)",
        epoch + 1,
        row["loss"],
        monitor,
        current,
        row["epoch_s"],
        row["train_seq_per_s"],
        size,
    )
    return current


def _start(state: dict | None, checkpoint, mode_max: bool, base_lr: float):
    """History, early-stopping and LR-plateau states, first epoch and step: fresh or resumed."""
    worst = -math.inf if mode_max else math.inf
    if state is None:
        es = {"wait": 0, "best": worst}
        plateau = {"wait": 0, "best": worst, "cooldown_counter": 0, "lr": base_lr}
        return {}, es, plateau, 0, 0
    checkpoint.restore(state["checkpoint"]).expect_partial()
    history = {k: list(v) for k, v in state["history"].items()}
    return (
        history,
        state["early_stopping"],
        state["reduce_lr"],
        state["epoch"],
        state.get("global_step", 0),
    )


def _optimizer(model, hvd, base_lr: float, warmup_steps: float):
    """Adam at the warm-up's first rate, built; the averaged train step; the checkpoint."""
    import tensorflow as tf

    size = hvd.size()
    optimizer = tf.keras.optimizers.Adam(learning_rate=warmup_lr(0, base_lr, size, warmup_steps))
    optimizer.build(model.trainable_variables)
    step_fn = make_train_step(model, optimizer, hvd)
    return optimizer, step_fn, tf.train.Checkpoint(model=model, optimizer=optimizer)
