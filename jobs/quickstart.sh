#!/usr/bin/env bash
# Set everything up (jobs/setup.sh) and run the main job: a small Task 1 sweep end to end
# (CNN-2 x {relu, exponential} x 2 trials, 30 epochs, the paper's 30,000 sequences) on embedded defaults:
# local executor, no container, built-in Tomtom. Results go to results/task1_quick/,
# then the report of them to results/task1_quick/report/ (it prints where index.html is).
set -euo pipefail
cd "$(dirname "$0")/.."
bash jobs/setup.sh
export TF_CPP_MIN_LOG_LEVEL=2
results=results/task1_quick  # the report follows --results DIR when it is given
prev=
for arg in "$@"; do
  [ "$prev" = --results ] && results=$arg
  case "$arg" in --results=*) results=${arg#--results=} ;; esac
  prev=$arg
done
rc=0
.venv/bin/expact run configs/task1_quick.yaml "$@" || rc=$?
# the Dask report of whatever finished: tables, figures, reproduction check, index.html
.venv/bin/expact report "$results" --no-progress
exit "$rc"
