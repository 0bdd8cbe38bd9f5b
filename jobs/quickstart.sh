#!/usr/bin/env bash
# Set everything up (jobs/setup.sh) and run the main job: a small Task 1 sweep end to end
# (CNN-deep x {relu, exponential} x 2 trials on a reduced data set) on embedded defaults:
# local executor, no container, built-in Tomtom. Results go to results/task1_quick/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash jobs/setup.sh
export TF_CPP_MIN_LOG_LEVEL=2
exec .venv/bin/expact run configs/task1_quick.yaml "$@"
