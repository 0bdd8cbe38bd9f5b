"""Shared test fixtures: paths to the reference data beside the repo, tiny data sets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# submitit configures logging with logging.config.dictConfig on its first import, which closes
# every existing handler; absl's handler (created when TensorFlow is first imported, inside
# some test) then closes the stream it holds: pytest's capture file. Importing submitit
# before anything imports TensorFlow keeps the capture alive.
import submitit  # noqa: E402,F401

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DATA = REPO.parent / "shared" / "reference_data"


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """``../shared/reference_data`` (JASPAR 2016 MEME file, PFMs, ZBED2/IRF1 sets)."""
    if not REFERENCE_DATA.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE_DATA}")
    return REFERENCE_DATA
