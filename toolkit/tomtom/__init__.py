"""Tomtom motif comparison behind one interface with two back-ends.

``backend="meme"`` runs the real MEME Suite ``tomtom`` binary (5.4.1, built by
``containers/meme/build_meme.sh``); ``backend="lite"`` runs memelite's numba Tomtom and
reproduces the binary's table (see :mod:`toolkit.tomtom.lite`). Both return the same
DataFrame layout and write the same ``tomtom.tsv`` file, so downstream code does not care
which one ran. The paper's call (spec §5.3) is ``tomtom -evalue -thresh 0.1`` with the
default Euclidean distance, both strands and ``-min-overlap 1``.
"""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path

import pandas as pd

from toolkit.config.names import TOMTOM_BACKENDS, TOMTOM_DISTANCES
from toolkit.errors import InputError
from toolkit.meme_io import read_meme_file
from toolkit.tomtom.table import COLUMNS, parse_tomtom_tsv, read_tomtom_tsv, write_tomtom_tsv

__all__ = ["BACKENDS", "COLUMNS", "read_tomtom_tsv", "tomtom", "tomtom_version"]

# tomtom.c -dist choices; the lite back-end implements only "ed". The names live in
# toolkit.config.names so that configs are validated without importing this package.
BACKENDS = TOMTOM_BACKENDS
DISTANCES = TOMTOM_DISTANCES


def tomtom_version(backend: str = "lite") -> str:
    """Return the tool and version behind ``backend``.

    Parameters
    ----------
    backend : {"lite", "meme"}

    Returns
    -------
    str
        ``"MEME tomtom 5.4.1"`` for ``meme`` (asks the binary), ``"memelite 0.5.0"`` for
        ``lite`` (from package metadata, without importing numba).
    """
    _check_backend(backend)
    if backend == "meme":
        from toolkit.tomtom.meme import meme_version

        return f"MEME tomtom {meme_version()}"
    from toolkit.tomtom.lite import lite_version

    return lite_version()


def tomtom(
    query_meme: str | os.PathLike,
    target_meme: str | os.PathLike,
    backend: str = "lite",
    out_dir: str | os.PathLike | None = None,
    thresh: float = 0.1,
    evalue: bool = True,
    dist: str = "ed",
    min_overlap: int = 1,
) -> pd.DataFrame:
    """Compare query motifs with a target motif database, as ``tomtom -evalue -thresh``.

    Parameters
    ----------
    query_meme : str or os.PathLike
        MEME file of the query motifs (e.g. first-layer filters, written by
        :func:`toolkit.meme_io.write_meme`).
    target_meme : str or os.PathLike
        MEME file of the target database (e.g. JASPAR CORE 2016 vertebrates, 518 motifs).
    backend : {"lite", "meme"}
        ``lite``: memelite (no external binary). ``meme``: the MEME ``tomtom`` binary.
    out_dir : str or os.PathLike, optional
        If given, ``out_dir/tomtom.tsv`` is written atomically in MEME's format (header,
        rows, blank line, 3 ``#`` lines), whichever back-end ran.
    thresh : float
        Significance threshold; a match is reported when its E-value (or q-value, with
        ``evalue=False``) is <= thresh (tomtom.c stops at the first value > thresh).
    evalue : bool
        Threshold on E-values (E = p x number of targets), as the paper did.
    dist : str
        Column distance; ``ed`` (Euclidean, Tomtom's default) is passed explicitly to the
        binary. The lite back-end supports only ``ed``.
    min_overlap : int
        Minimum overlap of query and target. The lite back-end supports only 1.

    Returns
    -------
    pandas.DataFrame
        One row per reported (query, target) match (n_matches rows), columns exactly
        ``Query_ID, Target_ID, Optimal_offset, p-value, E-value, q-value, Overlap,
        Query_consensus, Target_consensus, Orientation``; rows grouped by query in file
        order and sorted by p-value within a query. ``df.attrs`` holds ``backend``,
        ``version`` and ``command``.

    Raises
    ------
    toolkit.errors.InputError
        Bad parameters or malformed motif files (checked before anything runs).
    toolkit.tomtom.meme.TomtomNotFoundError
        ``backend="meme"`` and no binary was found.
    """
    _check_backend(backend)
    if (
        isinstance(thresh, bool)
        or not isinstance(thresh, numbers.Real)
        or not (math.isfinite(thresh) and thresh >= 0)
    ):
        raise InputError(None, "thresh", f"expected a finite number >= 0, got {thresh!r}")
    if dist not in DISTANCES:
        raise InputError(None, "dist", f"expected one of {DISTANCES}, got {dist!r}")
    if (
        isinstance(min_overlap, bool)
        or not isinstance(min_overlap, numbers.Integral)
        or min_overlap < 1
    ):
        raise InputError(None, "min_overlap", f"expected an integer >= 1, got {min_overlap!r}")
    if backend == "lite" and dist != "ed":
        raise InputError(
            None,
            "dist",
            f"the lite back-end (memelite) implements only "
            f"dist='ed', got {dist!r}; use backend='meme'",
        )
    if backend == "lite" and min_overlap != 1:
        raise InputError(
            None,
            "min_overlap",
            "the lite back-end (memelite) implements only min_overlap=1; use backend='meme'",
        )

    if backend == "meme":
        from toolkit.tomtom.meme import find_tomtom, meme_version, tomtom_meme

        find_tomtom()  # fail on a missing binary before parsing the inputs
        # Parse both files first: our errors name file and line, MEME's are cryptic.
        read_meme_file(query_meme)
        read_meme_file(target_meme)
        text, command = tomtom_meme(query_meme, target_meme, thresh, evalue, dist, min_overlap)
        version = f"MEME tomtom {meme_version()}"
    else:
        from toolkit.tomtom.lite import lite_version, tomtom_lite

        text, command = tomtom_lite(query_meme, target_meme, thresh, evalue)
        version = lite_version()

    df = parse_tomtom_tsv(text, source=f"tomtom output ({backend})")
    df.attrs.update(backend=backend, version=version, command=command)
    if out_dir is not None:
        write_tomtom_tsv(Path(out_dir), text)
    return df


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise InputError(None, "backend", f"expected one of {BACKENDS}, got {backend!r}")
