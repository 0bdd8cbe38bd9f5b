#!/usr/bin/env bash
# Set up expact on a fresh Debian/Ubuntu machine with Python 3.11, idempotently:
#   - a project venv (.venv) with the pinned dependency set (requirements.txt),
#   - Horovod 0.28.1 compiled against that TensorFlow (a second pip call: it must see TF),
#   - the toolkit itself (editable), and a warm numba cache for the built-in Tomtom.
# With --test also: test tools (requirements-test.txt) and the real MEME Suite `tomtom`
# built from source into .venv/bin (the back-end comparison tests need it).
# Re-running skips every step already done. Environment knobs:
#   PYTHON=python3.11   interpreter for the venv
#   EXPACT_VENV=.venv   where the venv goes
#   EXPACT_SKIP_HOROVOD=1  skip the ~2 min Horovod compile (Basset/Horovod jobs then fail)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${EXPACT_VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3.11}
WITH_TEST=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TEST=1 ;;
    *) echo "usage: $0 [--test]" >&2; exit 2 ;;
  esac
done
say() { printf '[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_install() {  # install missing Debian packages (only possible as root or with sudo)
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  say "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
    || { echo "[setup] error: could not install ${missing[*]}; install them and re-run" >&2; exit 1; }
}

# 0. system tools: a C++ compiler and cmake for Horovod, make/perl for MEME
if command -v dpkg >/dev/null; then
  need=()
  command -v g++ >/dev/null || need+=(g++)
  command -v make >/dev/null || need+=(make)
  command -v cmake >/dev/null || need+=(cmake)
  if ! command -v "$PYTHON" >/dev/null; then
    need+=(python3.11 python3.11-venv python3.11-dev)
  else
    # Debian splits Python: `python3.11 -m venv` needs python3.11-venv (ensurepip), and
    # Horovod's build needs Python.h from python3.11-dev; either may be missing on its own
    "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3.11-venv)
    "$PYTHON" - >/dev/null 2>&1 <<'PY' || need+=(python3.11-dev)
import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))
PY
  fi
  if ((${#need[@]})); then apt_install "${need[@]}"; fi
fi
command -v "$PYTHON" >/dev/null || { echo "[setup] error: $PYTHON not found (Python 3.11 is required)" >&2; exit 1; }

# 1. the venv and the pinned set (skipped when requirements.txt is unchanged)
[ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
stamp="$VENV/.expact-requirements"
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing the pinned dependency set (about 1 min)"
  "${PIP[@]}" install -r requirements.txt
  "${PIP[@]}" install --no-deps --no-build-isolation -e .
  echo "$want" > "$stamp"
fi

# 2. Horovod, compiled against the TF just installed (it cannot share TF's pip call)
if [ "${EXPACT_SKIP_HOROVOD:-0}" != 1 ] && ! "$VENV/bin/python" -c 'import horovod.tensorflow' >/dev/null 2>&1; then
  say "building Horovod 0.28.1 against TensorFlow (about 2 min)"
  mpi=HOROVOD_WITHOUT_MPI=1
  command -v mpicc >/dev/null && mpi=HOROVOD_WITH_MPI=1
  env HOROVOD_WITH_TENSORFLOW=1 HOROVOD_WITH_GLOO=1 HOROVOD_WITHOUT_PYTORCH=1 \
      HOROVOD_WITHOUT_MXNET=1 "$mpi" MAKEFLAGS="-j$(nproc)" \
      "${PIP[@]}" install --no-build-isolation horovod==0.28.1
fi

# 3. test tools and the real MEME tomtom
if [ "$WITH_TEST" = 1 ]; then
  tstamp="$VENV/.expact-test-requirements"
  twant=$(sha256sum requirements-test.txt | cut -c1-16)
  if [ "$(cat "$tstamp" 2>/dev/null)" != "$twant" ]; then
    say "installing test tools"
    "${PIP[@]}" install -r requirements-test.txt
    echo "$twant" > "$tstamp"
  fi
  bash containers/meme/build_meme.sh "$VENV"
  # headless Chromium for the report's browser test (Debian's package, only if missing)
  if command -v dpkg >/dev/null && ! command -v chromium >/dev/null; then apt_install chromium; fi
fi

# 4. compile the built-in Tomtom once (numba caches it; later processes start warm)
"$VENV/bin/python" -m toolkit.tomtom.warmup
say "ready: $VENV ($("$VENV/bin/python" -c 'import tensorflow as tf; print("tensorflow", tf.__version__)' 2>/dev/null))"
