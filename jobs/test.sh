#!/usr/bin/env bash
# The test command (CI: .ci/run runs exactly this). Every real part the tests need must be
# there, or the run fails with a message that says what is missing; nothing is skipped:
#   1. the paper's reference data: the real ChIP-seq sets ZBED2_400_h3k27ac.h5 and
#      IRF1_400_h3k27ac.h5 (no substitute) in $EXPACT_REFERENCE_DATA (default
#      ../shared/reference_data); the JASPAR files may be absent (pyjaspar-written
#      equivalents are used);
#   2. setup (jobs/setup.sh --test: venv, Horovod, test tools, MEME tomtom, chromium);
#   3. a real single-node Slurm: the one already running, or slurm/slurm-up.sh (as root, or
#      through sudo), stopped again at the end if this script started it;
#   4. a real Apptainer runtime (containers/apptainer-up.sh, as root or through sudo; its
#      wrapper runs only as root, so as another user the tests need an `apptainer` on PATH);
#   5. pytest with EXPACT_REQUIRE_*=1 and EXPACT_FORBID_SKIPS=1: a skipped test is a failure.
# Explicit opt-outs (never set by CI); each deselects that part's tests and says so:
#   EXPACT_SKIP_REFERENCE_DATA=1  EXPACT_SKIP_SLURM=1  EXPACT_SKIP_APPTAINER=1
# Extra arguments go to pytest (e.g. `bash jobs/test.sh -m "not slow"`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
say() { printf '[test] %s\n' "$*"; }
die() { printf '[test] error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
can_sudo() { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }
as_root() { if is_root; then "$@"; else sudo -n "$@"; fi; }

# 1. reference data (checked first: it cannot be fixed by waiting for setup)
REF=${EXPACT_REFERENCE_DATA:-$ROOT/../shared/reference_data}
REF=$(realpath -m "$REF")
export EXPACT_REFERENCE_DATA=$REF
missing=()
for f in ZBED2_400_h3k27ac.h5 IRF1_400_h3k27ac.h5; do [ -f "$REF/$f" ] || missing+=("$f"); done
if ((${#missing[@]})); then
  if [ "${EXPACT_SKIP_REFERENCE_DATA:-0}" = 1 ]; then
    say "EXPACT_SKIP_REFERENCE_DATA=1: the tests on the real ChIP-seq sets are left out (${missing[*]} not in $REF)" >&2
  else
    die "${missing[*]} not found in $REF.
  These real ChIP-seq sets have no substitute. Download them from the paper's repository
  (GitHub: p-koo/exponential_activations, folder data/) into $REF,
  or set EXPACT_REFERENCE_DATA=DIR to the folder that holds them.
  To run without the tests that need them: EXPACT_SKIP_REFERENCE_DATA=1 bash jobs/test.sh"
  fi
else
  export EXPACT_REQUIRE_REFERENCE_DATA=1
fi
# Slurm and Apptainer need root for their bring-up: say so now, not after a 7 min setup
if ! is_root && ! can_sudo; then
  if [ "${EXPACT_SKIP_SLURM:-0}" != 1 ] && ! sinfo -h >/dev/null 2>&1; then
    die "no Slurm is running, and starting one (slurm/slurm-up.sh) needs root or passwordless sudo.
  Run as root, start it first (sudo bash slurm/slurm-up.sh), or opt out: EXPACT_SKIP_SLURM=1"
  fi
fi

# 2. setup
bash jobs/setup.sh --test
# the real MEME tomtom was just built, so the back-end comparison must run, not skip
export EXPACT_REQUIRE_MEME=1 EXPACT_FORBID_SKIPS=1 TF_CPP_MIN_LOG_LEVEL=2

# 3. Slurm
if [ "${EXPACT_SKIP_SLURM:-0}" = 1 ]; then
  say "EXPACT_SKIP_SLURM=1: the Slurm tests are left out" >&2
elif sinfo -h >/dev/null 2>&1; then
  # someone else's Slurm: the tests use it, but never rewrite its configuration
  say "using the Slurm that is already running"
  export EXPACT_REQUIRE_SLURM=1
else
  say "starting a single-node Slurm (slurm/slurm-up.sh$(is_root || echo ', through sudo'))"
  as_root bash slurm/slurm-up.sh >/dev/null \
    || die "slurm/slurm-up.sh failed (it needs root or passwordless sudo); opt out: EXPACT_SKIP_SLURM=1"
  trap 'say "stopping Slurm"; as_root bash slurm/slurm-down.sh' EXIT
  export EXPACT_REQUIRE_SLURM=1 EXPACT_SLURM_STARTED_BY_TESTS=1
fi

# 4. Apptainer (Debian 12 has none): containers/apptainer-up.sh installs a real one once per
# machine into ~/.cache/expact/apptainer (about 1 min; 0.1 s when already there). The image
# tests (pytest -m apptainer) then build the toolkit image once per run (about 5 min, from a
# wheelhouse cached in ~/.cache/expact/wheelhouse: 35 s of downloads here, once per machine;
# up to 10 min through a slow proxy) and run Slurm array sweeps inside it (about 5 min).
if [ "${EXPACT_SKIP_APPTAINER:-0}" = 1 ]; then
  say "EXPACT_SKIP_APPTAINER=1: the Apptainer image tests are left out" >&2
elif ! is_root && command -v apptainer >/dev/null; then
  say "using the Apptainer on PATH: $(apptainer --version)"
  export EXPACT_REQUIRE_APPTAINER=1
elif is_root; then
  bash containers/apptainer-up.sh | tail -n 1 \
    || die "containers/apptainer-up.sh failed; opt out: EXPACT_SKIP_APPTAINER=1"
  export EXPACT_REQUIRE_APPTAINER=1
else
  die "no apptainer on PATH, and this project's Apptainer (containers/apptainer-up.sh) runs
  only as root. Run jobs/test.sh as root, install Apptainer, or opt out: EXPACT_SKIP_APPTAINER=1"
fi

# 5. the tests
.venv/bin/python -m pytest "$@"
