"""A Tomtom target database written from the offline pyjaspar package.

For JASPAR 2016 CORE vertebrates (the default) the file is the paper's
``JASPAR_CORE_2016_vertebrates.meme`` (from its repository ``p-koo/exponential_activations``,
folder ``data/``) without its ``URL`` lines: the same header (both strands, uniform
background), the same 518 motifs in the same order (the release's 519 without MA0615.1
Gmeb1, which the paper's file leaves out), the same names, ``nsites`` (the mean column
total of the counts, rounded half up, as JASPAR's export) and the same probabilities to six
decimals, except one row of MA0867.1 SOX4 where JASPAR's export rounded two exact halves
(39/640, 149/640) in opposite directions (1e-6 apart). ``tests/test_data_jaspar_meme.py``
checks all of that against the paper's file. The generator's input keeps all 519 matrices.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

#: Matrices of a release that the paper's MEME file leaves out (kept in the generator input).
PAPER_EXCLUDED: dict[str, tuple[str, ...]] = {"JASPAR2016": ("MA0615.1",)}
_HEADER = (
    "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
    "Background letter frequencies (from uniform background):\n"
    "A 0.25000 C 0.25000 G 0.25000 T 0.25000 \n\n"
)


def jaspar_meme(
    output: str | Path,
    release: str = "JASPAR2016",
    collection: str = "CORE",
    tax_group: str = "vertebrates",
    exclude: tuple[str, ...] | None = None,
) -> Path:
    """Write the JASPAR motifs of one release as a MEME v4 file, the layout of JASPAR's own
    MEME export (``MOTIF <ID> <name>``, ``nsites`` from the counts).

    Parameters
    ----------
    output : str or Path
        MEME file to write (atomically).
    release, collection, tax_group : str
        pyjaspar query (latest version of each matrix only).
    exclude : tuple of str, optional
        Matrix IDs to leave out; default :data:`PAPER_EXCLUDED` of the release (for
        JASPAR 2016: MA0615.1, as the paper's file).

    Returns
    -------
    Path
    """
    from pyjaspar import jaspardb

    from toolkit.files import atomic_write_text

    exclude = PAPER_EXCLUDED.get(release, ()) if exclude is None else exclude
    motifs = jaspardb(release=release).fetch_motifs(
        collection=collection, tax_group=[tax_group], all_versions=False
    )
    parts = [_HEADER]
    for motif in sorted(motifs, key=lambda m: _id_key(m.matrix_id)):
        if motif.matrix_id in exclude:
            parts.append("\n")  # the paper's file keeps a blank line where it dropped one
            continue
        counts = np.array([motif.counts[b] for b in "ACGT"], dtype=float)  # (4, w)
        totals = counts.sum(axis=0)
        width = counts.shape[1]
        # the mean column total rounded half up (as JASPAR's export), in integers: exact
        nsites = (2 * int(round(totals.sum())) + width) // (2 * width)
        rows = "".join(
            "".join(f"  {c / total:.6f}\t" for c in column) + "\n"
            for column, total in zip(counts.T, totals, strict=True)
        )
        parts.append(
            f"MOTIF {motif.matrix_id} {motif.name}\n\n"
            f"letter-probability matrix: alength= 4 w= {width} nsites= {nsites} E= 0\n"
            f"{rows}\n"
        )
    return atomic_write_text(output, "".join(parts))


def _id_key(matrix_id: str) -> tuple[str, int, int]:
    """JASPAR's order: MA0002.2 before MA0003.3 before PB0001.1 (numbers compared as numbers)."""
    base, _, version = matrix_id.partition(".")
    return (re.sub(r"\d", "", base), int(re.sub(r"\D", "", base) or 0), int(version or 0))
