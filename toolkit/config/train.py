"""Training hyper-parameters of spec §4 and their checks (no TensorFlow, no scikit-learn).

The config validator (:func:`toolkit.config.parse_config`) checks a config's ``train``
section with :meth:`TrainConfig.from_dict` before any compute; :func:`toolkit.training.train`
takes the same object.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from toolkit.config.schema import Boolean, Integer, Key, Number, OneOf, Rule, Section
from toolkit.errors import InputError

__all__ = ["ENGINES", "MONITORS", "TRAIN", "TrainConfig"]

MONITORS = ("val_aupr", "val_auroc", "val_loss")
ENGINES = ("fast", "keras")


def _key(default: Any, rule: Rule, help: str = "") -> Any:
    """A field declared once: its default, and in its metadata the :class:`Key` (rule, help)."""
    return dataclasses.field(default=default, metadata={"key": Key(default, rule, help)})


@dataclass
class TrainConfig:
    """Training hyper-parameters (defaults are the paper's, spec §4).

    ``restore_best_weights=False`` reproduces the paper (last-epoch weights are kept);
    set it True to keep the weights of the best monitored epoch instead.

    ``engine`` picks the loop: ``keras`` (the default) is the paper's ``model.fit`` (its
    training curves always include the training-batch metrics); ``fast``
    (:mod:`toolkit.training.engine`) trains a twin of the model with fused batch norm and
    cheaper dropout masks and computes the validation metrics once per epoch as Keras did.
    ``fast`` is opt-in until paper-scale sweeps show its numbers within the trial spread of
    ``keras``'s (docs/benchmarks.md); a config that names it has its own spec hashes. ``train_metrics``
    adds the training-batch ``accuracy``, ``auroc`` and ``aupr`` to the fast engine's history
    (off: Keras' streaming AUC over every training batch cost up to 40 % of an epoch on a
    2-core Xeon, and only ``loss`` and the ``val_`` keys are read downstream). ``bf16`` runs the fast
    engine's convolutions and hidden dense layers in bfloat16 (needs a CPU with bf16
    instructions, e.g. avx512_bf16 or AMX; off: not shown at paper scale to keep the paper's
    numbers). ``fused_dropout`` runs the fast engine's dropouts, with the ReLU before them and
    the cast to bfloat16 after them, in one compiled kernel
    (:mod:`toolkit.training.act_dropout`, built with g++ on first use; off: other random
    draws than the packed ones, not shown at paper scale).
    """

    epochs: int = _key(100, Integer(1))
    batch_size: int = _key(100, Integer(1), "per step (Task 4: see distributed.batch)")
    learning_rate: float = _key(1e-3, Number(0.0, low_open=True, expected="a number > 0"))
    monitor: str = _key(
        "val_aupr",
        OneOf(MONITORS, "{value!r} is not one of {choices}"),
        "early stopping and learning-rate schedule (a task may set its own default)",
    )
    patience: int = _key(20, Integer(0), "epochs without improvement before stopping")
    lr_factor: float = _key(
        0.2, Number(0.0, 1.0, low_open=True, expected="a number in (0, 1)"), "learning-rate decay"
    )
    lr_patience: int = _key(5, Integer(0), "epochs without improvement before decaying")
    min_lr: float = _key(1e-7, Number(0.0, expected="a number >= 0"))
    restore_best_weights: bool = _key(
        False, Boolean(), "keep the best monitored epoch (the paper keeps the last)"
    )
    shuffle: bool = _key(True, Boolean())
    record_gradients: bool = _key(
        False, Boolean(), "Supp Fig 4: first-layer gradient mean/std per epoch"
    )
    engine: str = _key(
        "keras",
        OneOf(ENGINES),
        "training loop: fast (fused batch norm, packed dropout draws) or keras (model.fit)",
    )
    train_metrics: bool = _key(
        False, Boolean(), "fast engine: also log accuracy/auroc/aupr over the training batches"
    )
    bf16: bool = _key(
        False,
        Boolean(),
        "fast engine: bfloat16 convolutions and hidden dense layers (bf16 CPUs only)",
    )
    fused_dropout: bool = _key(
        False,
        Boolean(),
        "fast engine: relu, dropout and the bf16 cast in one compiled kernel (needs g++)",
    )

    @classmethod
    def from_dict(cls, values: dict | None, source: str = "config") -> TrainConfig:
        """Build from a config mapping, rejecting unknown keys and bad values."""
        values = dict(values or {})
        unknown = sorted(set(values) - set(TRAIN))
        if unknown:
            raise InputError(
                source, "train", f"unknown keys {unknown}; valid keys: {sorted(TRAIN)}"
            )
        cfg = cls(**values)
        cfg.validate(source)
        return cfg

    def validate(self, source: str = "config") -> None:
        """Check types and ranges (no TensorFlow needed: the config validator calls this).

        Raises
        ------
        InputError
            Naming ``train.<field>`` and what was expected.
        """
        TRAIN.check(dataclasses.asdict(self), "train", source)


#: The ``train`` section as a table (from :class:`TrainConfig`'s fields), for the checks and
#: the help. A spec's ``train`` holds only the keys its config gives (their hashes).
TRAIN = Section({f.name: f.metadata["key"] for f in dataclasses.fields(TrainConfig)})
