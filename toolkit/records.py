"""Atomic writers (JSON, bytes), package versions and the container a run is in.

Where a run's record lives and when a run is done: :mod:`toolkit.run_folder`.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "expact",
    "tensorflow-cpu",
    "keras",
    "numpy",
    "h5py",
    "pandas",
    "scikit-learn",
    "memelite",
    "logomaker",
    "shap",
    "submitit",
    "dask",
    "horovod",
)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``.

    Readers never see a half-written file: the rename is atomic on POSIX file systems.
    """
    return atomic_write_bytes(path, text.encode())


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_npz(path: str | Path, **arrays) -> Path:
    """Atomically write ``arrays`` as a compressed NPZ file."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue())


def write_json(path: str | Path, data: Any) -> Path:
    """Atomically write ``data`` as indented JSON (NaN is written as null)."""
    return atomic_write_text(path, json.dumps(_jsonable(data), indent=2, allow_nan=False) + "\n")


def package_versions() -> dict[str, str | None]:
    """Versions of the packages that shape results, plus Python, the platform and the
    Apptainer image the run is in (``container``: its path, None outside an image)."""
    versions: dict[str, str | None] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    info = container_record()
    versions["container"] = info["image"] if info else None
    return versions


def container_record() -> dict | None:
    """The Apptainer image this process runs in (``image`` path and its ``labels``: every
    version baked into it), or None outside an image; records keep it as ``container``."""
    return container_info()


def container_info() -> dict | None:
    """Inside an Apptainer image: its path and labels (for run records); else None."""
    image = os.environ.get("APPTAINER_CONTAINER") or os.environ.get("SINGULARITY_CONTAINER")
    if not image:
        return None
    labels: dict = {}
    for path in ("/.singularity.d/labels.json",):
        try:
            labels = json.loads(Path(path).read_text())
        except (OSError, ValueError):
            pass
    return {"image": image, "labels": labels}


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, float) and value != value:  # NaN -> null keeps the JSON strict
        return None
    return value
