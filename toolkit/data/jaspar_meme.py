"""A Tomtom target database written from the offline pyjaspar package."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def jaspar_meme(
    output: str | Path,
    release: str = "JASPAR2016",
    collection: str = "CORE",
    tax_group: str = "vertebrates",
) -> Path:
    """Write the JASPAR motifs of one release as a MEME v4 file (``MOTIF <ID> <name>``).

    The paper's target database is JASPAR 2016 CORE vertebrates (518 motifs, distributed
    with its repository as ``JASPAR_CORE_2016_vertebrates.meme``); pyjaspar ships the same
    release offline, so users without that file get an equivalent one.

    Parameters
    ----------
    output : str or Path
        MEME file to write (atomically).
    release, collection, tax_group : str
        pyjaspar query (latest version of each matrix only).

    Returns
    -------
    Path
    """
    from pyjaspar import jaspardb

    from toolkit.meme_io import write_meme

    motifs = jaspardb(release=release).fetch_motifs(
        collection=collection, tax_group=[tax_group], all_versions=False
    )
    ppms = {}
    for motif in sorted(motifs, key=lambda m: m.matrix_id):
        counts = np.array([motif.counts[b] for b in "ACGT"], dtype=float)  # (4, w)
        ppms[f"{motif.matrix_id} {motif.name}"] = (counts / counts.sum(0, keepdims=True)).T
    return write_meme(output, ppms)
