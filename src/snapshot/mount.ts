/**
 * Mounting the descriptions a snapshotter returns (mount(2) through src/sys/libc.ts).
 *
 * overlay's options must fit in one page (4096 bytes). Absolute lowerdir paths under the
 * default data-root take about 32 bytes per layer, enough for ~120 layers; beyond that the
 * paths are made relative to their common directory and mount(2) runs with that as the
 * working directory (what Docker's overlay2 does). chdir is process-wide, so this runs
 * synchronously on the main thread and berth's other threads only ever use absolute paths.
 */
import { dirname, relative } from 'node:path';
import { errnoCode, internal, invalid } from '../core/errors.js';
import { MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT, mount as sysMount, umount2 } from '../sys/libc.js';
import type { Mount } from './contract.js';

const PAGE_LIMIT = 4000;

const FLAG_OPTIONS: Record<string, number> = {
  ro: MS_RDONLY,
  nosuid: MS_NOSUID,
  nodev: MS_NODEV,
  noexec: MS_NOEXEC,
  rbind: MS_BIND | MS_REC,
  bind: MS_BIND,
};

function split(options: string[]): { flags: number; data: string[] } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    if (o in FLAG_OPTIONS) flags |= FLAG_OPTIONS[o];
    else if (o !== 'rw') data.push(o);
  }
  return { flags, data };
}

/** Mount each description on `target`, in order. */
export function mount(mounts: Mount[], target: string): void {
  for (const m of mounts) {
    const { flags, data } = split(m.options);
    if (m.type === 'bind' || (flags & MS_BIND) !== 0) {
      sysMount(m.source, target, '', flags | MS_BIND, null);
      // a bind ignores MS_RDONLY and friends until it is remounted with them
      const extra = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
      if (extra !== 0) sysMount('', target, '', MS_REMOUNT | MS_BIND | extra, null);
      continue;
    }
    const text = data.join(',');
    if (text.length < PAGE_LIMIT) sysMount(m.source, target, m.type, flags, text);
    else mountRelative(m, target, flags, data);
  }
}

/** Overlay with paths relative to their common directory, for very deep layer stacks. */
function mountRelative(m: Mount, target: string, flags: number, data: string[]): void {
  const paths = data.flatMap((o) => {
    const eq = o.indexOf('=');
    const key = o.slice(0, eq);
    return key === 'lowerdir' || key === 'upperdir' || key === 'workdir' ? o.slice(eq + 1).split(':') : [];
  });
  let base = dirname(paths[0]);
  while (!paths.every((p) => p.startsWith(`${base}/`)) && base !== '/') base = dirname(base);
  const rel = data.map((o) => {
    const eq = o.indexOf('=');
    const key = o.slice(0, eq);
    if (key !== 'lowerdir' && key !== 'upperdir' && key !== 'workdir') return o;
    return `${key}=${o.slice(eq + 1).split(':').map((p) => relative(base, p)).join(':')}`;
  });
  const text = rel.join(',');
  if (text.length >= PAGE_LIMIT) {
    throw invalid('ERR_SNAPSHOT_TOO_DEEP', `too many layers to mount (${paths.length - 2}): the overlay options exceed one page`);
  }
  const cwd = process.cwd();
  process.chdir(base);
  try {
    sysMount(m.source, target, m.type, flags, text);
  } finally {
    process.chdir(cwd);
  }
}

/** Unmount `target`; lazily when busy; nothing when it is not a mount point. */
export function unmount(target: string): void {
  try {
    umount2(target, 0);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EINVAL' || code === 'ENOENT') return; // not mounted
    if (code === 'EBUSY') {
      umount2(target, MNT_DETACH);
      return;
    }
    throw internal('ERR_UNMOUNT', `cannot unmount ${target}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
