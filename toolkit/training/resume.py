"""Epoch checkpoints so a preempted or timed-out training resumes from its last epoch.

After every epoch the model weights and optimizer state (a ``tf.train.Checkpoint``) and the
training state (epochs done, history so far, early-stopping and LR-schedule counters) are
written to ``directory``; the JSON state is written last and atomically, so it never points
at a checkpoint that is not complete. Resuming restores all of it, so the continued run
stops and lowers the learning rate exactly when the uninterrupted one would have. Batch
order after the resume differs (Keras reshuffles per epoch from its own state).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from toolkit.errors import InputError
from toolkit.records import write_json

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
    import tensorflow as tf

    directory = Path(directory)

    class EpochCheckpoint(tf.keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.history = {k: list(v) for k, v in (state or {}).get("history", {}).items()}
            self.checkpoint = tf.train.Checkpoint(model=self.model, optimizer=self.model.optimizer)
            if state is None:
                return
            self.model.optimizer.build(self.model.trainable_variables)
            self.checkpoint.restore(state["checkpoint"]).expect_partial()
            es, lr = state["early_stopping"], state["reduce_lr"]
            early_stopping.wait, early_stopping.best = es["wait"], es["best"]
            early_stopping.stopped_epoch = es["stopped_epoch"]
            reduce_lr.wait, reduce_lr.best = lr["wait"], lr["best"]
            reduce_lr.cooldown_counter = lr["cooldown_counter"]
            self.model.optimizer.learning_rate.assign(lr["lr"])
            log.info("resumed training from epoch %d (%s)", state["epoch"], directory)

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                self.history.setdefault(key, []).append(float(value))
            prefix = self.checkpoint.write(str(directory / f"epoch{epoch + 1}"))
            write_json(
                directory / STATE,
                {
                    "epoch": epoch + 1,
                    "checkpoint": prefix,
                    "finished": False,
                    "history": self.history,
                    "early_stopping": {
                        "wait": early_stopping.wait,
                        "best": float(early_stopping.best),
                        "stopped_epoch": early_stopping.stopped_epoch,
                    },
                    "reduce_lr": {
                        "wait": reduce_lr.wait,
                        "best": float(reduce_lr.best),
                        "cooldown_counter": reduce_lr.cooldown_counter,
                        "lr": float(self.model.optimizer.learning_rate.numpy()),
                    },
                },
            )
            for old in directory.glob(f"epoch{epoch}.*"):  # keep only the newest checkpoint
                old.unlink(missing_ok=True)

        def on_train_end(self, logs=None):
            saved = load_state(directory)
            if saved is not None:
                write_json(directory / STATE, saved | {"finished": True})

    return EpochCheckpoint()
