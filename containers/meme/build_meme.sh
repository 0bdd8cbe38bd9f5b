#!/usr/bin/env bash
# Build the real MEME Suite 5.4.1 `tomtom` and `fimo` into PREFIX/bin.
#
# Usage: bash containers/meme/build_meme.sh PREFIX      (e.g. .venv -> .venv/bin/tomtom)
#
# Debian ships no MEME Suite, so the source comes from the pymemesuite 0.1.0a4 sdist on PyPI,
# which vendors MEME 5.4.1 (vendor/meme). Two patches make its command-line tools build:
#   1. the sdist drops etc/ doc/ tests/ website/: stub their Makefile.in so configure completes;
#   2. pymemesuite moved die()/myassert() into its Python extension: put CLI versions back.
# libxml2/libxslt are the bundled copies, linked statically: the binaries need only libc/libm.
# Needs: python3 (with pip and venv), gcc, make, perl; network access to PyPI unless
# MEME_SDIST points at a local pymemesuite-0.1.0a4.tar.gz.
#
# Idempotent: exits at once when PREFIX/bin/tomtom already runs and reports 5.4.1.
# Env: TARGETS (default "tomtom fimo"), PYTHON (default python3), MEME_SDIST (optional).
# The MEME Suite has its own academic licence (copied to PREFIX/share/meme-5.4.1/COPYING);
# check it before redistributing the binaries in images.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 PREFIX" >&2
  exit 64
fi
mkdir -p "$1"
PREFIX=$(cd "$1" && pwd)
VERSION=5.4.1
TARGETS=${TARGETS:-"tomtom fimo"}
PYTHON=${PYTHON:-python3}

# Already built? "runs" means -version prints the expected version, not just that the file exists.
if [ -x "$PREFIX/bin/tomtom" ] && [ "$("$PREFIX/bin/tomtom" -version 2>/dev/null)" = "$VERSION" ]; then
  missing=""
  for t in $TARGETS; do [ -x "$PREFIX/bin/$t" ] || missing="$missing $t"; done
  if [ -z "$missing" ]; then
    echo "MEME $VERSION already installed in $PREFIX/bin ($TARGETS); nothing to do"
    exit 0
  fi
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/build_meme.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
start=$(date +%s)

if [ -n "${MEME_SDIST:-}" ]; then
  cp "$MEME_SDIST" .
else
  # pip prepares the sdist's metadata while downloading; a throwaway venv with
  # wheel+setuptools keeps that off the caller's environment.
  "$PYTHON" -m venv "$W/v"
  "$W/v/bin/pip" install -q wheel setuptools
  "$W/v/bin/pip" download -q --no-deps --no-binary pymemesuite --no-build-isolation \
    pymemesuite==0.1.0a4 -d .
fi
tar xzf pymemesuite-0.1.0a4.tar.gz
cd pymemesuite-0.1.0a4/vendor/meme

# Patch 1: stub the Makefile.in of every directory configure expects but the sdist dropped.
for f in $(sed -n '/AC_CONFIG_FILES(\[/,/\])/p' configure.ac | grep -oE '[A-Za-z0-9_./-]+/Makefile'); do
  [ -f "$f.in" ] || { mkdir -p "$(dirname "$f")"; printf 'all:\ninstall:\nclean:\ndistclean:\ncheck:\n' > "$f.in"; }
done
# Patch 2: command-line versions of die()/myassert() (pymemesuite removed them from utils.c).
cat >> src/utils.c <<'C'
void die(char *format, ...) { va_list a; fprintf(stderr, "FATAL: "); va_start(a, format); vfprintf(stderr, format, a); va_end(a); fprintf(stderr, "\n"); exit(1); }
void myassert(bool die_on_error, bool test, char * const format, ...) { va_list a; if (!test) { va_start(a, format); vfprintf(stderr, format, a); va_end(a); fprintf(stderr, "\n"); if (die_on_error) exit(1); } }
C

LOG="$W/make.log"
jobs=$(nproc 2>/dev/null || echo 2)
./configure --prefix="$PREFIX" --enable-build-libxml2 --enable-build-libxslt >"$LOG" 2>&1 \
  || { tail -30 "$LOG"; exit 2; }
make -C src/libxml2 -j"$jobs" >>"$LOG" 2>&1 || { tail -30 "$LOG"; exit 2; }
make -C src/libxslt -j"$jobs" >>"$LOG" 2>&1 || { tail -30 "$LOG"; exit 2; }
make -C src dir.h projrel.h citation.js.h >>"$LOG" 2>&1 || { tail -30 "$LOG"; exit 2; }
# shellcheck disable=SC2086  # TARGETS is a word list on purpose
make -C src -j"$jobs" $TARGETS >>"$LOG" 2>&1 || { tail -30 "$LOG"; exit 2; }

mkdir -p "$PREFIX/bin" "$PREFIX/share/meme-$VERSION"
for t in $TARGETS; do
  # install to a temporary name then rename, so a concurrent reader never sees half a binary
  install -m 0755 "src/$t" "$PREFIX/bin/.$t.tmp.$$"
  mv -f "$PREFIX/bin/.$t.tmp.$$" "$PREFIX/bin/$t"
done
[ -f COPYING ] && cp COPYING "$PREFIX/share/meme-$VERSION/COPYING"

got=$("$PREFIX/bin/tomtom" -version)
if [ "$got" != "$VERSION" ]; then
  echo "built tomtom reports version '$got', expected $VERSION" >&2
  exit 3
fi
echo "MEME $VERSION ($TARGETS) installed in $PREFIX/bin in $(( $(date +%s) - start )) s"
