"""Back-end ``meme``: the real MEME Suite ``tomtom`` binary.

The binary is looked up in this order: the environment variable ``EXPACT_TOMTOM`` (a path),
``sys.prefix/bin/tomtom`` (where ``containers/meme/build_meme.sh .venv`` installs MEME
5.4.1), then ``PATH``. It runs with ``-text`` (TSV on stdout): in MEME 5.4.1 ``-oc`` writes
the TSV but exits 1 because ``tomtom_xml_to_html`` is not built.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["TomtomNotFoundError", "find_tomtom", "meme_version", "tomtom_meme"]

ENV_VAR = "EXPACT_TOMTOM"
BUILD_HINT = (
    "Build MEME 5.4.1 into the virtual environment with "
    "`bash containers/meme/build_meme.sh .venv` (needs gcc, make, perl and PyPI access; "
    "about 1.5 min), point EXPACT_TOMTOM at an existing tomtom binary, or use "
    "backend='lite'."
)


class TomtomNotFoundError(FileNotFoundError):
    """The MEME ``tomtom`` binary could not be found."""


def find_tomtom() -> Path:
    """Locate the ``tomtom`` binary.

    Returns
    -------
    pathlib.Path
        ``$EXPACT_TOMTOM`` if set, else ``sys.prefix/bin/tomtom`` if it exists, else the
        ``tomtom`` found on ``PATH``.

    Raises
    ------
    TomtomNotFoundError
        If ``EXPACT_TOMTOM`` names a missing or non-executable file, or nothing is found;
        the message says how to build the binary.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise TomtomNotFoundError(f"{ENV_VAR}={env} is not an executable file. {BUILD_HINT}")
        return path
    local = Path(sys.prefix) / "bin" / "tomtom"
    if local.is_file() and os.access(local, os.X_OK):
        return local
    found = shutil.which("tomtom")
    if found:
        return Path(found)
    raise TomtomNotFoundError(
        f"MEME tomtom not found (looked at ${ENV_VAR}, {local} and PATH). {BUILD_HINT}"
    )


@functools.lru_cache(maxsize=8)
def _version_of(binary: str) -> str:
    proc = subprocess.run(
        [binary, "-version"], capture_output=True, text=True, timeout=60, check=False
    )
    version = proc.stdout.strip()
    if proc.returncode != 0 or not version:
        raise RuntimeError(
            f"{binary} -version failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
        )
    return version


def meme_version(binary: str | os.PathLike | None = None) -> str:
    """Return the MEME version of ``binary`` (default :func:`find_tomtom`), e.g. ``5.4.1``."""
    return _version_of(str(binary if binary is not None else find_tomtom()))


def tomtom_meme(
    query_meme: str | os.PathLike,
    target_meme: str | os.PathLike,
    thresh: float,
    evalue: bool,
    dist: str,
    min_overlap: int,
) -> tuple[str, list[str]]:
    """Run the MEME ``tomtom`` binary and return its TSV output.

    Parameters
    ----------
    query_meme, target_meme : str or os.PathLike
        MEME motif files (already validated by the caller).
    thresh : float
        ``-thresh``: report matches with E-value (``evalue``) or q-value <= thresh.
    evalue : bool
        Pass ``-evalue`` (threshold on E-values rather than q-values).
    dist : str
        ``-dist`` (always passed explicitly; the default changed across MEME versions).
    min_overlap : int
        ``-min-overlap``.

    Returns
    -------
    text : str
        The ``tomtom.tsv`` text exactly as the binary printed it.
    command : list of str
        The command that ran.

    Raises
    ------
    TomtomNotFoundError
        If the binary is missing.
    RuntimeError
        If tomtom exits non-zero; the message carries the end of its stderr.
    """
    binary = find_tomtom()
    cmd = [
        str(binary),
        "-text",
        "-verbosity",
        "1",
        "-dist",
        dist,
        "-min-overlap",
        str(int(min_overlap)),
    ]
    if evalue:
        cmd.append("-evalue")
    cmd += ["-thresh", repr(float(thresh)), str(query_meme), str(target_meme)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(
            f"tomtom exited with status {proc.returncode}: {' '.join(cmd)}\n"
            f"{proc.stderr.strip()[-2000:]}"
        )
    return proc.stdout, cmd
