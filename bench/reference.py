"""The paper's JASPAR files for the benchmarks: the real ones, or pyjaspar-written equivalents.

``$EXPACT_REFERENCE_DATA`` (default ``../shared/reference_data``) when it holds
``pfm_vertebrates.txt`` and ``JASPAR_CORE_2016_vertebrates.meme``; otherwise the same JASPAR
2016 release written from the offline pyjaspar package (``tests/reference_files.py``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILES = ("pfm_vertebrates.txt", "JASPAR_CORE_2016_vertebrates.meme")


def reference_folder(scratch: Path) -> Path:
    """A folder holding both JASPAR files (written into ``scratch`` when needed)."""
    folder = Path(
        os.environ.get("EXPACT_REFERENCE_DATA") or REPO.parent / "shared" / "reference_data"
    )
    if all((folder / name).is_file() for name in FILES):
        return folder
    sys.path.insert(0, str(REPO / "tests"))
    from reference_files import write_reference_jaspar

    return write_reference_jaspar(scratch)
