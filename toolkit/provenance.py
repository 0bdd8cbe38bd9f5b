"""What a run's record states about where it ran: package versions, the Apptainer image."""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "expact",
    "tensorflow-cpu",
    "tensorflow",  # the GPU image's wheel (tensorflow[and-cuda])
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
