"""The paper's two JASPAR files, written from the offline pyjaspar package.

The paper's repository (``p-koo/exponential_activations``, folder ``data/``) distributes
``pfm_vertebrates.txt`` (JASPAR 2016 CORE vertebrates, 519 count matrices, the generators'
input) and ``JASPAR_CORE_2016_vertebrates.meme`` (the same release as MEME v4, 518 motifs:
everything but MA0615.1 Gmeb1; the Tomtom target database). pyjaspar ships the same release
offline, with identical IDs, names and counts, so a clone without the paper's files gets
equivalents and the tests that need them run instead of skipping:

- ``pfm_vertebrates.txt`` is written byte for byte as the paper's file;
- ``JASPAR_CORE_2016_vertebrates.meme`` is the toolkit's default Tomtom target
  (:func:`toolkit.data.jaspar_meme.jaspar_meme`): the paper's file without its ``URL`` lines,
  same header, layout, motifs, names and ``nsites``, and the same probabilities to 6 decimals
  but for two of its 24,148 (one row of MA0867.1 SOX4, 39/640 and 149/640: 1e-6 apart).

``tests/test_reference_files.py`` checks both against the paper's files when they are there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

PFM_NAME = "pfm_vertebrates.txt"
MEME_NAME = "JASPAR_CORE_2016_vertebrates.meme"


def _id_key(matrix_id: str) -> tuple[str, int, int]:
    base, _, version = matrix_id.partition(".")
    return (re.sub(r"\d", "", base), int(re.sub(r"\D", "", base) or 0), int(version or 0))


def jaspar2016_counts() -> list[tuple[str, str, np.ndarray]]:
    """(matrix ID, name, counts (4, w) int) of JASPAR 2016 CORE vertebrates, sorted by ID."""
    from pyjaspar import jaspardb

    motifs = jaspardb(release="JASPAR2016").fetch_motifs(
        collection="CORE", tax_group=["vertebrates"], all_versions=False
    )
    out = []
    for m in sorted(motifs, key=lambda m: _id_key(m.matrix_id)):
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=float)
        if not np.array_equal(counts, np.round(counts)):
            raise ValueError(f"{m.matrix_id}: non-integer counts")
        out.append((m.matrix_id, m.name, counts.astype(np.int64)))
    return out


def pfm_text(motifs) -> str:
    """The paper's ``pfm_vertebrates.txt`` layout (counts right-aligned to the widest)."""
    blocks = []
    for matrix_id, name, counts in motifs:
        width = max(len(str(c)) for c in counts.ravel())
        rows = [
            f"{b}  [" + " ".join(f"{c:>{width}d}" for c in row) + " ]"
            for b, row in zip("ACGT", counts, strict=True)
        ]
        blocks.append(f">{matrix_id}\t{name}\n" + "\n".join(rows) + "\n\n")
    return "".join(blocks)


def write_reference_jaspar(folder: Path) -> Path:
    """Write both files into ``folder`` (atomically each) and return ``folder``."""
    from toolkit.data.jaspar_meme import jaspar_meme

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{PFM_NAME}.{os.getpid()}.tmp"
    tmp.write_text(pfm_text(jaspar2016_counts()))
    os.replace(tmp, folder / PFM_NAME)
    jaspar_meme(folder / MEME_NAME)  # the toolkit's default Tomtom target: the paper's file
    return folder


def strip_urls(meme: str) -> str:
    """The paper's MEME text without its ``URL ...`` lines and the blank line after each."""
    return re.sub(r"URL [^\n]*\n\n", "", meme)
