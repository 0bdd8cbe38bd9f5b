"""Shared test fixtures: paths to the reference data beside the repo, tiny data sets."""

from __future__ import annotations

import os
import subprocess
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


@pytest.fixture(scope="session")
def slurm() -> bool:
    """A Slurm that answers ``sinfo`` (slurm/slurm-up.sh starts one on localhost).

    Without one the test is skipped, unless EXPACT_REQUIRE_SLURM=1 (set by jobs/test.sh after
    it started the daemons): then that is a failure, so CI cannot pass by skipping.
    """
    try:
        ok = subprocess.run(["sinfo", "-h"], capture_output=True, timeout=10).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        ok = False
    if not ok:
        if os.environ.get("EXPACT_REQUIRE_SLURM") == "1":
            pytest.fail("no Slurm answers (run slurm/slurm-up.sh as root)")
        pytest.skip("no Slurm on this machine (slurm/slurm-up.sh starts one)")
    return True
