"""Shared test fixtures: the reference data, the real Slurm, and no silent skips.

Parts the tests need, and what happens when one is missing:

- the paper's JASPAR files (``pfm_vertebrates.txt``, ``JASPAR_CORE_2016_vertebrates.meme``):
  read from ``$EXPACT_REFERENCE_DATA`` (default ``../shared/reference_data``); without them
  the ``reference_data`` fixture writes equivalents from the offline pyjaspar package
  (``tests/reference_files.py``), so those tests always run;
- the real ChIP-seq sets (``ZBED2_400_h3k27ac.h5``, ``IRF1_400_h3k27ac.h5``): no substitute;
  the ``paper_data`` fixture skips without them, or fails when
  ``EXPACT_REQUIRE_REFERENCE_DATA=1``;
- Slurm, MEME tomtom, Apptainer: their fixtures skip without them, or fail when
  ``EXPACT_REQUIRE_SLURM`` / ``_MEME`` / ``_APPTAINER`` is 1.

``jobs/test.sh`` sets every ``EXPACT_REQUIRE_*`` and ``EXPACT_FORBID_SKIPS=1``: then any
skipped test is reported as a failure, so CI cannot pass by skipping. A part can only be
left out by an explicit, documented opt-out, which deselects its tests (they are not run and
not counted as skipped; the header of the pytest output says which and why):
``EXPACT_SKIP_APPTAINER=1`` (tests marked ``apptainer``), ``EXPACT_SKIP_SLURM=1`` (tests
marked ``slurm`` or using the ``slurm`` fixture), ``EXPACT_SKIP_REFERENCE_DATA=1`` (tests
using ``paper_data``). One part is opt-in, deselected (and said so) unless its variable is
set: the full GPU image build and ``%test``, ``EXPACT_TEST_GPU_IMAGE`` (too long for CI,
which checks that image's GPU pins on the index; tests/test_apptainer.py). The one skip
allowed under ``EXPACT_FORBID_SKIPS`` (reason starting "by design: ") is a test that rewrites
the Slurm configuration when that Slurm was not started by ``jobs/test.sh``
(``EXPACT_SLURM_STARTED_BY_TESTS=1``): rewriting someone's real cluster is never done.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# the compiled kernels (toolkit.training.custom_ops) are built into this session's folder,
# not the user's cache; subprocesses and Slurm elements inherit it
OPS_DIR = None if os.environ.get("EXPACT_OPS_DIR") else tempfile.mkdtemp(prefix="expact-ops-")
if OPS_DIR:
    os.environ["EXPACT_OPS_DIR"] = OPS_DIR

# submitit configures logging with logging.config.dictConfig on its first import, which closes
# every existing handler; absl's handler (created when TensorFlow is first imported, inside
# some test) then closes the stream it holds: pytest's capture file. Importing submitit
# before anything imports TensorFlow keeps the capture alive.
import submitit  # noqa: E402,F401

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DATA = Path(
    os.environ.get("EXPACT_REFERENCE_DATA") or REPO.parent / "shared" / "reference_data"
)
JASPAR_FILES = ("pfm_vertebrates.txt", "JASPAR_CORE_2016_vertebrates.meme")
CHIPSEQ_FILES = ("ZBED2_400_h3k27ac.h5", "IRF1_400_h3k27ac.h5")
# skip reasons starting with this are by design and allowed under EXPACT_FORBID_SKIPS=1
ALLOWED_SKIP = "by design: "
# opt-out variable -> (what it leaves out, test selector)
OPT_OUTS = {
    "EXPACT_SKIP_APPTAINER": (
        "the Apptainer image tests",
        lambda item: item.get_closest_marker("apptainer") is not None,
    ),
    "EXPACT_SKIP_SLURM": (
        "the Slurm tests",
        lambda item: (
            item.get_closest_marker("slurm") is not None
            or "slurm" in getattr(item, "fixturenames", ())
        ),
    ),
    "EXPACT_SKIP_REFERENCE_DATA": (
        "the tests on the real ZBED2/IRF1 ChIP-seq sets",
        lambda item: "paper_data" in getattr(item, "fixturenames", ()),
    ),
}


# opt-in variable -> (what it adds, test selector): left out (deselected, said so in the
# header) unless the variable is set; CI never sets it
OPT_INS = {
    "EXPACT_TEST_GPU_IMAGE": (
        "the GPU image build and %test (=1 builds one, =/path/to.sif checks that image)",
        lambda item: "gpu_image" in getattr(item, "fixturenames", ()),
    ),
}


def _env(name: str) -> bool:
    return os.environ.get(name) == "1"


def missing_part(require_var: str, message: str) -> None:
    """Skip for a missing part, or fail when ``require_var`` is 1 (CI: jobs/test.sh)."""
    if _env(require_var):
        pytest.fail(f"{require_var}=1 but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def reference_data(tmp_path_factory) -> Path:
    """A folder with the paper's ``pfm_vertebrates.txt`` and ``JASPAR_CORE_2016_vertebrates.meme``.

    The real files when ``$EXPACT_REFERENCE_DATA`` (default ``../shared/reference_data``) has
    them; otherwise equivalents written from pyjaspar's JASPAR 2016 (same motifs and counts;
    see ``tests/reference_files.py``) into a session temporary folder. Never skips.
    """
    if all((REFERENCE_DATA / name).is_file() for name in JASPAR_FILES):
        return REFERENCE_DATA
    from reference_files import write_reference_jaspar

    return write_reference_jaspar(tmp_path_factory.mktemp("reference_data"))


@pytest.fixture(scope="session")
def paper_data() -> Path:
    """The paper's reference folder with the real ZBED2 and IRF1 ChIP-seq sets (and JASPAR
    files). These have no substitute: without them the test is skipped, or fails when
    ``EXPACT_REQUIRE_REFERENCE_DATA=1`` (jobs/test.sh)."""
    missing = [n for n in (*CHIPSEQ_FILES, *JASPAR_FILES) if not (REFERENCE_DATA / n).is_file()]
    if missing:
        missing_part(
            "EXPACT_REQUIRE_REFERENCE_DATA",
            f"{', '.join(missing)} not found in {REFERENCE_DATA} (download them from the "
            "paper's repository p-koo/exponential_activations, folder data/; "
            "EXPACT_REFERENCE_DATA=DIR points elsewhere)",
        )
    return REFERENCE_DATA


@pytest.fixture(scope="session")
def meme_binary() -> Path:
    """The MEME Suite ``tomtom`` (jobs/setup.sh --test builds it into .venv/bin)."""
    from toolkit.tomtom.meme import TomtomNotFoundError, find_tomtom

    try:
        return find_tomtom()
    except TomtomNotFoundError as exc:
        missing_part("EXPACT_REQUIRE_MEME", str(exc))


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
        missing_part(
            "EXPACT_REQUIRE_SLURM", "no Slurm answers `sinfo` (slurm/slurm-up.sh starts one)"
        )
    return True


@pytest.fixture(scope="session")
def slurm_started_by_tests(slurm) -> bool:
    """For tests that rewrite the Slurm configuration (slurm/slurm-up.sh with other limits):
    only on a Slurm that jobs/test.sh started itself (``EXPACT_SLURM_STARTED_BY_TESTS=1``),
    never on a cluster someone else runs."""
    if not _env("EXPACT_SLURM_STARTED_BY_TESTS"):
        pytest.skip(
            ALLOWED_SKIP + "rewrites the Slurm configuration; runs only on a Slurm that "
            "jobs/test.sh started itself (EXPACT_SLURM_STARTED_BY_TESTS=1), never on one "
            "that was already running"
        )
    return True


def pytest_report_header(config):
    lines = [f"reference data: {REFERENCE_DATA}"]
    if not all((REFERENCE_DATA / n).is_file() for n in JASPAR_FILES):
        lines[0] += " (no JASPAR files there: pyjaspar-written equivalents are used)"
    for var, (what, _) in OPT_OUTS.items():
        if _env(var):
            lines.append(f"{var}=1: {what} are deselected (not run)")
    for var, (what, _) in OPT_INS.items():
        if not os.environ.get(var):
            lines.append(f"{var} unset: {what} is deselected (not run)")
    if _env("EXPACT_FORBID_SKIPS"):
        lines.append("EXPACT_FORBID_SKIPS=1: a skipped test counts as a failure")
    return lines


def pytest_collection_modifyitems(config, items):
    """The explicit opt-outs, and the opt-ins not chosen, deselect their tests (see the module
    docstring); the image tests
    go last, and the image they share starts building now, beside the other tests."""
    chosen = [(var, pick) for var, (_, pick) in OPT_OUTS.items() if _env(var)]
    chosen += [(var, pick) for var, (_, pick) in OPT_INS.items() if not os.environ.get(var)]
    if chosen:
        keep, drop = [], []
        for item in items:
            (drop if any(pick(item) for _, pick in chosen) else keep).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
    image_tests = [i for i in items if i.get_closest_marker("apptainer")]
    if image_tests:
        items[:] = [i for i in items if not i.get_closest_marker("apptainer")] + image_tests
        if any("image" in getattr(i, "fixturenames", ()) for i in image_tests):
            start_image_build()  # (not for the GPU image's tests alone)


# The image build (`expact containers build`, ~5 min) runs as a background process from the
# start of the session; tests/test_apptainer.py waits for it. Overlapping it with the rest of
# the suite saves most of its time: much of a build waits on downloads, apt and squashfs.
IMAGE_BUILD: dict = {}


def start_image_build() -> None:
    import sys
    import tempfile

    from toolkit.containers import apptainer

    if IMAGE_BUILD or os.environ.get("EXPACT_TEST_IMAGE") or not apptainer.available():
        return  # a given image, or no runtime (the image tests then skip or fail themselves)
    folder = Path(tempfile.mkdtemp(prefix="expact-test-image-"))
    out, log = folder / "expact-debootstrap.sif", folder / "build.log"
    command = [sys.executable, "-m", "toolkit", "containers", "build", "--output", str(out)]
    with open(log, "wb") as handle:  # nice: the tests running beside it keep their pace
        process = subprocess.Popen(
            ["nice", "-n", "5", *command], stdout=handle, stderr=subprocess.STDOUT
        )
    IMAGE_BUILD.update(process=process, out=out, log=log, folder=folder, started=time.time())


def pytest_sessionfinish(session, exitstatus):
    """Stop a build no test waited for, and remove the image (about 0.5 GB) and the kernels."""
    import shutil

    process = IMAGE_BUILD.get("process")
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(timeout=60)
    if IMAGE_BUILD.get("folder"):
        shutil.rmtree(IMAGE_BUILD["folder"], ignore_errors=True)
    if OPS_DIR:
        shutil.rmtree(OPS_DIR, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under EXPACT_FORBID_SKIPS=1 (jobs/test.sh) a skipped test is a failure."""
    outcome = yield
    _forbid_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """The same for a whole module skipped at collection (``allow_module_level``)."""
    outcome = yield
    _forbid_skip(outcome.get_result())


def _forbid_skip(report) -> None:
    if not (report.skipped and _env("EXPACT_FORBID_SKIPS")) or hasattr(report, "wasxfail"):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    if reason.removeprefix("Skipped: ").startswith(ALLOWED_SKIP):
        return
    report.outcome = "failed"
    report.longrepr = (
        f"skipped ({reason}), but EXPACT_FORBID_SKIPS=1 (jobs/test.sh): every part the tests "
        "need must be there; opt-outs: EXPACT_SKIP_APPTAINER, EXPACT_SKIP_SLURM, "
        "EXPACT_SKIP_REFERENCE_DATA (README, 'Two commands')"
    )
