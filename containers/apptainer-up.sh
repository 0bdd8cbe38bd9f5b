#!/usr/bin/env bash
# Install a real Apptainer runtime on Debian 12 (bookworm), idempotently.
#
# Debian ships Apptainer only in sid (apptainer 1.4.x, which needs glibc >= 2.38; bookworm has
# 2.36). So this debootstraps a Debian trixie root (glibc 2.41), installs apptainer/sid into it
# and runs it through containers/bin/apptainer, a wrapper that enters that root with
# unshare + pivot_root (Apptainer refuses plain chroot). Recipe and pitfalls: the shared
# infrastructure notes, section 2.
#
# Usage: bash containers/apptainer-up.sh        (as root; about 1 min from nothing, 0.1 s when done)
# Then:  containers/bin/apptainer --version     (or export EXPACT_APPTAINER=<that path>)
#
# Env:
#   EXPACT_APPTAINER_ROOT  where the root goes (default ~/.cache/expact/apptainer/rootfs)
#   DEBIAN_MIRROR          Debian mirror URL (default: the one this machine's apt uses)
#   APPTAINER_VERSION      apt version pattern for apptainer/sid (default: any)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
R=${EXPACT_APPTAINER_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/expact/apptainer/rootfs}
WRAP="$HERE/bin/apptainer"
export DEBIAN_FRONTEND=noninteractive
say() { printf '[apptainer-up] %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  echo "[apptainer-up] error: needs root (unshare --mount, debootstrap)" >&2
  exit 1
fi

# Fast path: already installed and configured.
if [ -x "$R/usr/bin/apptainer" ] && [ -f "$R/.expact-ready" ]; then
  chmod 0666 /dev/fuse 2>/dev/null || true
  "$WRAP" --version
  exit 0
fi

mkdir -p "$(dirname "$R")"
exec 9>"$(dirname "$R")/.apptainer-up.lock"
flock 9   # two callers at once (CI jobs, test sessions) wait for each other

debian_mirror() {  # the mirror of this machine's apt sources (deb822 or one-line format)
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '/^URIs:/{u=$2} /^Suites:/{for(i=2;i<=NF;i++) if($i !~ /-/) s=1}
         /^$/{if(u&&s){print u; exit}; u=""; s=0} END{if(u&&s) print u}' "$f" | head -n1
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1=="deb" {for(i=2;i<=NF;i++) if($i ~ /^[a-z]+:\/\//){if($(i+1) !~ /-/) print $i; break}}' "$f"
  done
}
MIRROR=${DEBIAN_MIRROR:-$(debian_mirror | grep -m1 . || true)}
[ -n "$MIRROR" ] || { echo "[apptainer-up] error: no Debian mirror found; set DEBIAN_MIRROR" >&2; exit 1; }
start=$(date +%s)

# 1. the trixie root (built in a temporary folder, renamed when complete) -----------------
if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
fi
if [ ! -x "$R/usr/bin/apt-get" ]; then
  say "debootstrap trixie into $R (mirror $MIRROR)"
  rm -rf "$R.partial"
  debootstrap --variant=minbase --include=ca-certificates trixie "$R.partial" "$MIRROR" >/dev/null
  rm -rf "$R"
  mv "$R.partial" "$R"
fi

# 2. apt sources: trixie, plus sid pinned low so that only apptainer comes from there -------
cat > "$R/etc/apt/sources.list" <<EOS
deb $MIRROR trixie main
deb $MIRROR sid main
EOS
rm -f "$R/etc/apt/sources.list.d/debian.sources"
printf 'Package: *\nPin: release n=trixie\nPin-Priority: 900\n\nPackage: *\nPin: release n=sid\nPin-Priority: 100\n' \
  > "$R/etc/apt/preferences.d/pin"
# sid's Release file can look expired to a machine clock that lags behind
echo 'Acquire::Check-Valid-Until "false";' > "$R/etc/apt/apt.conf.d/99novalid"
cp /etc/hosts "$R/etc/hosts"   # apptainer build fails without /etc/hosts
cp -L /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
# extra CA certificates of this machine (TLS-intercepting proxies), for https mirrors
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$R/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$R/usr/local/share/ca-certificates/"
  "$WRAP" --_raw 'update-ca-certificates >/dev/null 2>&1 || true'
fi

# 3. apptainer and what --fakeroot builds of debootstrap images need ----------------------
if [ ! -x "$R/usr/bin/apptainer" ]; then
  say "installing apptainer/sid into the root"
  "$WRAP" --_raw "apt-get update -qq && apt-get install -y -qq --no-install-recommends \
    apptainer/sid${APPTAINER_VERSION:+=$APPTAINER_VERSION} debootstrap squashfs-tools squashfuse fuse2fs fuse3 uidmap >/dev/null && apt-get clean"
fi

# 4. configuration ---------------------------------------------------------------------------
# sandboxes whose capability bounding set lacks CAP_SYS_RESOURCE make "full" root caps fail exec
sed -i 's/^root default capabilities = .*/root default capabilities = no/' "$R/etc/apptainer/apptainer.conf"
# --fakeroot builds need a subordinate id range for root
grep -q '^root:' "$R/etc/subuid" 2>/dev/null || echo 'root:100000:65536' >> "$R/etc/subuid"
grep -q '^root:' "$R/etc/subgid" 2>/dev/null || echo 'root:100000:65536' >> "$R/etc/subgid"
# no udev here: /dev/fuse is 0600, unprivileged squashfuse mounts need 0666
chmod 0666 /dev/fuse 2>/dev/null || true
touch "$R/.expact-ready"
say "ready in $(( $(date +%s) - start )) s: $("$WRAP" --version)"
