#!/usr/bin/env bash
# Writes a busybox root filesystem as a tar stream on stdout, made offline from the host's
# busybox-static: /bin/busybox plus a hard link for every applet (as the official image has),
# /etc/passwd and /etc/group, and the usual empty directories. Usage: busybox-rootfs.sh > rootfs.tar
set -euo pipefail
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || { echo "busybox-rootfs: $BUSYBOX not found (apt-get install busybox-static)" >&2; exit 1; }
file -L "$BUSYBOX" 2>/dev/null | grep -q 'dynamically linked' && { echo "busybox-rootfs: $BUSYBOX is not static (install busybox-static)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root"/{bin,dev,etc,home,proc,root,sys,tmp,usr/bin,usr/sbin,var/spool/mail,var/www}
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln "$root/bin/busybox" "$root/bin/$applet"
done
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
wheel:x:10:root
mail:x:12:
www-data:x:33:
operator:x:37:
users:x:100:
nogroup:x:65534:
GROUP
# Fixed times and owners make the tar, and so the image ID, the same on every run.
find "$root" -exec touch -h -d '2024-01-01T00:00:00Z' {} +
tar --numeric-owner --owner=0 --group=0 --sort=name --mtime='2024-01-01T00:00:00Z' -C "$root" -cf - .
