#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine (as root): install what is missing, start berthd in
# the background, make a busybox image offline from the host's busybox-static, run a container.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

DATA_ROOT=${BERTH_DATA_ROOT:-/var/lib/berth}
EXEC_ROOT=${BERTH_EXEC_ROOT:-/run/berth}
SOCK="$EXEC_ROOT/berth.sock"
export BERTH_HOST="unix://$SOCK"
LOG=${BERTH_LOG:-/var/log/berthd.log}

if ! bin/berth version >/dev/null 2>&1; then
  echo "demo: starting berthd (log: $LOG)"
  nohup bin/berthd --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" -H "unix://$SOCK" >>"$LOG" 2>&1 &
  for _ in $(seq 1 100); do bin/berth version >/dev/null 2>&1 && break; sleep 0.1; done
fi
bin/berth version

echo "demo: making busybox:latest offline from $(command -v busybox)"
bash scripts/busybox-rootfs.sh | bin/berth import --change 'CMD ["sh"]' - busybox:latest
bin/berth images

echo "demo: running a container"
bin/berth run --rm busybox echo hello from berth
echo "demo: done. berthd keeps running (pid $(cat "$DATA_ROOT/berthd.lock" 2>/dev/null || echo '?')); stop it with: kill \$(cat $DATA_ROOT/berthd.lock)"
