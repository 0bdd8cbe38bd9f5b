"""A local wheelhouse for offline, fast image builds.

``expact containers build --wheelhouse DIR`` binds DIR into the build and installs everything
from it with ``pip --no-index`` (nothing is fetched from a package index). It holds:

- every distribution of ``requirements.txt`` (``pip download``, so this machine's pip
  configuration, mirrors and caches apply),
- the ``pymemesuite`` sdist whose vendored MEME sources ``containers/meme/build_meme.sh``
  compiles, and ``setuptools``/``wheel`` for that build,
- Horovod: a wheel compiled against exactly the pinned TensorFlow when this Python has that
  TensorFlow (the image then installs it in its second pip call instead of compiling for
  ~2-5 min), else its sdist (the image compiles it).

Where package downloads are slow (behind a proxy, on a shared CI machine) this makes the
build's cost the build itself; the folder is keyed by the pins, so it is made once per
machine and pin set. It only fits images with this machine's Python (3.11, x86_64, glibc):
the Debian base.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from toolkit.containers.definition import HOROVOD_VERSION, read_pins, repo_root
from toolkit.errors import InputError

__all__ = ["MARKER", "default_wheelhouse", "fits_image", "prepare_wheelhouse"]

MARKER = "expact-wheelhouse.json"
MEME_SDIST = "pymemesuite==0.1.0a4"  # vendors MEME 5.4.1 (containers/meme/build_meme.sh)


def _key(requirements: str) -> str:
    blob = requirements + f"\nhorovod=={HOROVOD_VERSION}\n{MEME_SDIST}\n{sys.version_info[:2]}"
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def default_wheelhouse() -> Path:
    """``~/.cache/expact/wheelhouse/<hash of the pins>`` (``XDG_CACHE_HOME`` honoured)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    requirements = (repo_root() / "requirements.txt").read_text()
    return cache / "expact" / "wheelhouse" / _key(requirements)


def prepare_wheelhouse(folder: str | Path | None = None, python: str = sys.executable) -> Path:
    """Fill ``folder`` (default :func:`default_wheelhouse`) unless it is complete already.

    Returns the folder. Raises InputError when a download or the Horovod build fails.
    """
    root = repo_root()
    requirements = (root / "requirements.txt").read_text()
    folder = Path(folder) if folder else default_wheelhouse()
    marker = folder / MARKER
    if marker.is_file() and json.loads(marker.read_text()).get("key") == _key(requirements):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    start = time.time()
    pip = [python, "-m", "pip", "--disable-pip-version-check", "-q"]
    # `pip wheel`, not `pip download`: a distribution published only as an sdist is built
    # here once, so the image installs wheels only
    _run(
        pip
        + ["wheel", "-w", str(folder), "-r", str(root / "requirements.txt"), "setuptools", "wheel"],
        "collect the pinned set",
    )
    _run(
        pip
        + [
            "download",
            "-d",
            str(folder),
            "--no-deps",
            "--no-binary",
            "pymemesuite",
            "--no-build-isolation",
            MEME_SDIST,
        ],
        "download the MEME sources",
    )
    horovod = _horovod(pip, folder, python, read_pins(requirements))
    marker.write_text(
        json.dumps(
            {
                "key": _key(requirements),
                "horovod": horovod,
                "python": sys.version.split()[0],
                "seconds": round(time.time() - start, 1),
            },
            indent=1,
        )
        + "\n"
    )
    return folder


def _horovod(pip: list[str], folder: Path, python: str, pins: dict) -> str:
    """Horovod into the wheelhouse: a wheel built against the pinned TensorFlow when this
    Python has it, else its sources (built in the image); says which."""
    if _tensorflow_version(python) == pins.get("tensorflow-cpu"):
        env = os.environ | {
            "HOROVOD_WITH_TENSORFLOW": "1",
            "HOROVOD_WITH_GLOO": "1",
            "HOROVOD_WITHOUT_MPI": "1",
            "HOROVOD_WITHOUT_PYTORCH": "1",
            "HOROVOD_WITHOUT_MXNET": "1",
            "MAKEFLAGS": f"-j{os.cpu_count() or 2}",
        }
        _run(
            pip
            + [
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "-w",
                str(folder),
                f"horovod=={HOROVOD_VERSION}",
            ],
            "build the Horovod wheel",
            env=env,
        )
        return f"wheel built against tensorflow-cpu {pins['tensorflow-cpu']}"
    else:
        _run(
            pip
            + [
                "download",
                "-d",
                str(folder),
                "--no-deps",
                "--no-binary",
                "horovod",
                "--no-build-isolation",
                f"horovod=={HOROVOD_VERSION}",
            ],
            "download the Horovod sources",
        )
    return "sdist"


def fits_image(base: str, os_release: str | Path = "/etc/os-release") -> bool:
    """Whether a wheelhouse made here suits ``base``: the Debian base, on Debian 12 (the
    image's own OS: same Python minor, same glibc for the locally built Horovod wheel)."""
    from toolkit.containers.definition import DEBIAN_SUITE

    try:
        text = Path(os_release).read_text()
    except OSError:
        return False
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    codename = fields.get("VERSION_CODENAME", "").strip('"')
    return base == "debootstrap" and codename == DEBIAN_SUITE and sys.version_info[:2] == (3, 11)


def _tensorflow_version(python: str) -> str | None:
    if python == sys.executable:
        try:
            return metadata.version("tensorflow-cpu")
        except metadata.PackageNotFoundError:
            return None
    proc = subprocess.run(
        [python, "-c", "from importlib.metadata import version; print(version('tensorflow-cpu'))"],
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() or None


def _run(argv: list[str], what: str, env: dict | None = None) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise InputError(None, "wheelhouse", f"could not {what}: {proc.stderr.strip()[-1500:]}")
