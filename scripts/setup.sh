#!/usr/bin/env bash
# Installs what berth needs on a fresh Debian 12 machine (as root): the Debian packages of the
# runtime and of the test tools, the npm dependencies, and the build. Safe to run again: each
# step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node 20 or later (Debian 12's own nodejs is 18): berth needs it, and apt cannot provide it.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: berth needs Node.js 20 or later (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "setup: install it from https://nodejs.org or NodeSource's Debian repository, then run this again." >&2
  exit 1
fi

# runtime: runc (default OCI runtime), crun (optional), conmon (per-container monitor),
#          busybox-static (the offline busybox image), iptables/iproute2 (networking), tini (--init)
# tests:   skopeo and umoci (independent image checks), docker-registry (distribution 2.8.2, the
#          reference registry), apache2-utils (htpasswd), containerd (ctr pulls from berth registry),
#          curl, socat, python3, openssl, strace (watches berthd's syncfs calls), file;
#          the docker CLI (docker.io when no docker command is installed)
# bench:   debootstrap (the import benchmark's Debian rootfs)
PACKAGES=(runc crun conmon busybox-static tini iptables iproute2 skopeo umoci docker-registry apache2-utils
  containerd curl socat python3 openssl ca-certificates xz-utils bzip2 zstd attr debootstrap strace file)
command -v docker >/dev/null || PACKAGES+=(docker.io)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Debian's docker-registry and containerd packages may start services on machines with systemd;
# berth's tests start their own instances on their own ports and sockets.

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi

echo "setup: build"
npm run --silent build
