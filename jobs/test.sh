#!/usr/bin/env bash
# Set everything up (jobs/setup.sh --test), start a real single-node Slurm (slurm/slurm-up.sh:
# munge, slurmctld, slurmd, slurmdbd + MariaDB for sacct), run the whole test suite with
# pytest, and stop the Slurm daemons again if this script started them.
# Extra arguments go to pytest (e.g. `bash jobs/test.sh -m "not slow"`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash jobs/setup.sh --test
# the real MEME tomtom was just built, so the back-end comparison must run, not skip
export EXPACT_REQUIRE_MEME=1 TF_CPP_MIN_LOG_LEVEL=2

if sinfo -h >/dev/null 2>&1; then
  echo "[test] using the Slurm that is already running"
  export EXPACT_REQUIRE_SLURM=1
elif [ "$(id -u)" = 0 ]; then
  echo "[test] starting a single-node Slurm (slurm/slurm-up.sh)"
  bash slurm/slurm-up.sh >/dev/null
  trap 'echo "[test] stopping Slurm"; bash slurm/slurm-down.sh' EXIT
  export EXPACT_REQUIRE_SLURM=1
else
  echo "[test] not root and no Slurm running: the Slurm tests will be skipped" >&2
fi
.venv/bin/python -m pytest "$@"
