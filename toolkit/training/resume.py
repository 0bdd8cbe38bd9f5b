"""Epoch checkpoints so a preempted or timed-out training resumes from its last epoch.

After every epoch the model weights and optimizer state (a ``tf.train.Checkpoint``) and the
training state (epochs done, history so far, early-stopping and LR-schedule counters) are
written to ``directory``; the JSON state is written last and atomically, so it never points
at a checkpoint that is not complete. Resuming restores all of it, so the continued run
stops and lowers the learning rate exactly when the uninterrupted one would have. Batch
order after the resume differs (Keras reshuffles per epoch from its own state).
"""

from __future__ import annotations

import functools
import json
import logging
import time
from pathlib import Path

from toolkit.errors import InputError
from toolkit.files import write_json

log = logging.getLogger(__name__)
STATE = "state.json"


def load_state(directory: str | Path) -> dict | None:
    """The saved training state in ``directory``, or None when there is none."""
    path = Path(directory) / STATE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(
            path,
            None,
            f"corrupt training checkpoint state ({exc}); "
            "delete the checkpoint folder to restart this run",
        ) from None


def resume_callback(directory: str | Path, early_stopping, reduce_lr, state: dict | None):
    """A Keras callback that saves after each epoch and restores ``state`` at train begin.

    It must come after ``early_stopping`` and ``reduce_lr`` in the callback list: Keras
    resets their counters in ``on_train_begin``, and this callback sets them back afterwards.
    """
    return _epoch_checkpoint_class()(Path(directory), early_stopping, reduce_lr, state)


@functools.cache
def _epoch_checkpoint_class():
    """The callback class, made once (TensorFlow is imported lazily). Everything a training
    needs lives on the instance: a class made per call, closing over the callbacks, outlived
    its training (something in Keras keeps callback classes) and with it every model of a
    packed array element, +33 MB per run."""
    import tensorflow as tf

    class EpochCheckpoint(tf.keras.callbacks.Callback):
        def __init__(self, directory: Path, early_stopping, reduce_lr, state: dict | None):
            super().__init__()
            self.directory = directory
            self.early_stopping = early_stopping
            self.reduce_lr = reduce_lr
            self.state = state

        def on_train_begin(self, logs=None):
            state, es_cb, lr_cb = self.state, self.early_stopping, self.reduce_lr
            self.history = {k: list(v) for k, v in (state or {}).get("history", {}).items()}
            # training seconds of the epochs kept from earlier attempts (a requeued job)
            self.started, self.earlier_s = time.time(), float((state or {}).get("train_s", 0.0))
            self.checkpoint = tf.train.Checkpoint(model=self.model, optimizer=self.model.optimizer)
            if state is None:
                return
            self.model.optimizer.build(self.model.trainable_variables)
            self.checkpoint.restore(state["checkpoint"]).expect_partial()
            es, lr = state["early_stopping"], state["reduce_lr"]
            es_cb.wait, es_cb.best = es["wait"], es["best"]
            es_cb.stopped_epoch = es["stopped_epoch"]
            lr_cb.wait, lr_cb.best = lr["wait"], lr["best"]
            lr_cb.cooldown_counter = lr["cooldown_counter"]
            self.model.optimizer.learning_rate.assign(lr["lr"])
            log.info("resumed training from epoch %d (%s)", state["epoch"], self.directory)

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                self.history.setdefault(key, []).append(float(value))
            prefix = self.checkpoint.write(str(self.directory / f"epoch{epoch + 1}"))
            es_cb, lr_cb = self.early_stopping, self.reduce_lr
            write_json(
                self.directory / STATE,
                {
                    "epoch": epoch + 1,
                    "checkpoint": prefix,
                    "finished": False,
                    "train_s": round(self.earlier_s + time.time() - self.started, 3),
                    "history": self.history,
                    "early_stopping": {
                        "wait": es_cb.wait,
                        "best": float(es_cb.best),
                        "stopped_epoch": es_cb.stopped_epoch,
                    },
                    "reduce_lr": {
                        "wait": lr_cb.wait,
                        "best": float(lr_cb.best),
                        "cooldown_counter": lr_cb.cooldown_counter,
                        "lr": float(self.model.optimizer.learning_rate.numpy()),
                    },
                },
            )
            for old in self.directory.glob(f"epoch{epoch}.*"):  # keep only the newest checkpoint
                old.unlink(missing_ok=True)

        def on_train_end(self, logs=None):
            saved = load_state(self.directory)
            if saved is not None:
                write_json(self.directory / STATE, saved | {"finished": True})

    return EpochCheckpoint
