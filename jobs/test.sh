#!/usr/bin/env bash
# Set everything up (jobs/setup.sh --test) and run the whole test suite with pytest.
# Extra arguments go to pytest (e.g. `bash jobs/test.sh -m "not slow"`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash jobs/setup.sh --test
# the real MEME tomtom was just built, so the back-end comparison must run, not skip
export EXPACT_REQUIRE_MEME=1 TF_CPP_MIN_LOG_LEVEL=2
exec .venv/bin/python -m pytest "$@"
