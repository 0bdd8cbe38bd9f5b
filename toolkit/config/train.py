"""Training hyper-parameters of spec §4 and their checks (no TensorFlow, no scikit-learn).

The config validator (:func:`toolkit.config.parse_config`) checks a config's ``train``
section with :meth:`TrainConfig.from_dict` before any compute; :func:`toolkit.training.train`
takes the same object.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

from toolkit.errors import InputError

__all__ = ["MONITORS", "TrainConfig"]

MONITORS = ("val_aupr", "val_auroc", "val_loss")


@dataclass
class TrainConfig:
    """Training hyper-parameters (defaults are the paper's, spec §4).

    ``restore_best_weights=False`` reproduces the paper (last-epoch weights are kept);
    set it True to keep the weights of the best monitored epoch instead.
    """

    epochs: int = 100
    batch_size: int = 100
    learning_rate: float = 1e-3
    monitor: str = "val_aupr"
    patience: int = 20
    lr_factor: float = 0.2
    lr_patience: int = 5
    min_lr: float = 1e-7
    restore_best_weights: bool = False
    shuffle: bool = True
    record_gradients: bool = False  # Supp Fig 4: first-layer gradient mean/std per epoch

    @classmethod
    def from_dict(cls, values: dict | None, source: str = "config") -> TrainConfig:
        """Build from a config mapping, rejecting unknown keys and bad values."""
        values = dict(values or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(
                source, "train", f"unknown keys {unknown}; valid keys: {sorted(known)}"
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
        if not isinstance(self.monitor, str) or self.monitor not in MONITORS:
            raise InputError(source, "train.monitor", f"{self.monitor!r} is not one of {MONITORS}")
        for name, minimum in (
            ("epochs", 1),
            ("batch_size", 1),
            ("patience", 0),
            ("lr_patience", 0),
        ):
            value = getattr(self, name)
            # bool is an int subclass; `epochs: true` is a typo, not 1
            if (
                not isinstance(value, numbers.Integral)
                or isinstance(value, bool)
                or value < minimum
            ):
                kind = "a positive integer" if minimum else "an integer >= 0"
                raise InputError(source, f"train.{name}", f"expected {kind}, got {value!r}")
        for name, low, high, closed in (
            ("learning_rate", 0.0, math.inf, False),
            ("lr_factor", 0.0, 1.0, False),
            ("min_lr", 0.0, math.inf, True),
        ):
            value = getattr(self, name)
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
            ok = ok and math.isfinite(value) and (low <= value if closed else low < value)
            if not ok or not value < high:
                expected = {
                    "learning_rate": "a number > 0",
                    "lr_factor": "a number in (0, 1)",
                    "min_lr": "a number >= 0",
                }[name]
                raise InputError(source, f"train.{name}", f"expected {expected}, got {value!r}")
        for name in ("restore_best_weights", "shuffle", "record_gradients"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise InputError(source, f"train.{name}", f"expected true or false, got {value!r}")
