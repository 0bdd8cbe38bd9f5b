"""The run spec: one run of a sweep, with every parameter it uses and its content hash.

A leaf: the run-folder contract (:mod:`toolkit.run_folder`), the config parser and every
step read it; it imports nothing of the toolkit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: a (model, activation, trial) cell with every parameter it uses."""

    task: str
    sweep: str
    model: str
    activation: str
    trial: int
    seed: int
    data: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)
    filters: dict = field(default_factory=dict)
    tomtom: dict = field(default_factory=dict)
    match: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # task-specific sections (toolkit.tasks)
    model_options: dict = field(default_factory=dict)  # non-default `model` options
    variant: str = ""  # label of the `vary` values of this run ('' without `vary`)

    @property
    def name(self) -> str:
        """Readable name, as the paper's result files: ``{model}_{activation}_{trial}``
        (``{model}_{activation}_{variant}_{trial}`` in a sweep with ``vary``)."""
        middle = f"_{self.variant}" if self.variant else ""
        return f"{self.model}_{self.activation.replace(':', '-')}{middle}_{self.trial}"

    @property
    def spec_hash(self) -> str:
        """Hash of the spec's content: a record made from another spec is not this run's."""
        values = asdict(self)
        # fields added later are left out while empty: earlier specs keep their hashes
        for key in ("extra", "model_options", "variant"):
            if not values[key]:
                del values[key]
        blob = json.dumps(values, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return asdict(self) | {"name": self.name, "spec_hash": self.spec_hash}

    @classmethod
    def from_dict(cls, values: dict) -> RunSpec:
        """Inverse of :meth:`to_dict` (derived keys are ignored)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})
