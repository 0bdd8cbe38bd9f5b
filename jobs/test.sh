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
# Apptainer (Debian 12 has none): containers/apptainer-up.sh installs a real one once per
# machine into ~/.cache/expact/apptainer (about 1 min; 0.1 s when already there). The image
# tests (pytest -m apptainer) then build the toolkit image once per run (about 5 min, from a
# wheelhouse cached in ~/.cache/expact/wheelhouse: 35 s of downloads here, once per machine;
# up to 10 min through a slow proxy) and run Slurm array sweeps inside it (about 5 min).
if [ "${EXPACT_SKIP_APPTAINER:-0}" = 1 ]; then
  echo "[test] EXPACT_SKIP_APPTAINER=1: the Apptainer image tests will be skipped" >&2
elif [ "$(id -u)" = 0 ] && bash containers/apptainer-up.sh | tail -n 1; then
  export EXPACT_REQUIRE_APPTAINER=1
else
  echo "[test] no Apptainer runtime could be installed: the image tests will be skipped" >&2
fi
.venv/bin/python -m pytest "$@"
