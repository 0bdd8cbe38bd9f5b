#!/usr/bin/env bash
# The GPU checks of issue 19, as one prepared script for a GPU node (not run in CI; no GPU
# has been lent to this project's sessions yet). Run it on a node with one GPU, from the
# repository root, inside the GPU image:
#
#   apptainer exec --nv --bind "$PWD" expact-gpu.sif bash bench/gpu_check.sh [OUT]
#
# or with a Python environment that has tensorflow[and-cuda] (PYTHON=... bash bench/gpu_check.sh).
# It writes to OUT (default gpu_check/): device.json (what TensorFlow sees: the record's
# `device`), train.txt (bench_train.py: the seed's model.fit against train() with the fast
# engine, on the GPU, same process) and concurrent.txt (bench_concurrent.py: runs per hour of
# one element, 1 vs 4 runs at a time sharing the GPU). About 10 minutes on an H100.
set -euo pipefail
OUT=${1:-gpu_check}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
"$PYTHON" - <<'PY' | tee "$OUT/device.json"
import json
from toolkit.training.device import gpu_preflight
print(json.dumps(gpu_preflight(1), indent=1))  # fails, saying why, when no GPU is seen
PY
"$PYTHON" bench/bench_train.py --epochs 3 --rounds 2 --variant engine=fast \
  --variant engine=fast,train_metrics=true 2>&1 | tee "$OUT/train.txt"
"$PYTHON" bench/bench_concurrent.py --runs 4 --cpus "$(nproc)" --k 4 --rounds 1 \
  --n-seq 30000 --epochs 5 --gpus 1 2>&1 | tee "$OUT/concurrent.txt"
