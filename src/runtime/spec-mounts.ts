/**
 * The mount table of a container, in Docker's order (moby WithMounts): the default mounts that
 * no user mount replaces, then the container's own mounts (/etc files, binds, tmpfs) sorted by
 * depth, then the init binary. `--read-only` adds `ro` to every default except the /proc and /dev
 * family; `--privileged` makes /sys and the cgroup tree writable.
 */
import * as path from 'node:path';
import { invalid } from '../core/errors.js';
import type { BindMount, IpcMode } from './contract.js';
import { DEFAULT_SHM_SIZE } from './defaults.js';
import type { OciMount } from './oci-config.js';

export function defaultMounts(shmSize: number, privileged: boolean, ipc: IpcMode): OciMount[] {
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: privileged ? ['nosuid', 'noexec', 'nodev'] : ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: privileged ? ['nosuid', 'noexec', 'nodev'] : ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  if (ipc === 'private') {
    mounts.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize || DEFAULT_SHM_SIZE}`] });
  }
  return mounts;
}

// mount(8) flags: the option, and the bit that makes two options collide (exec vs noexec).
const PROPAGATION = -1;
const FLAG_KEYS: Record<string, number> = {
  ro: 1, rw: 1, suid: 2, nosuid: 2, dev: 4, nodev: 4, exec: 8, noexec: 8, sync: 16, async: 16, remount: 32,
  mand: 64, nomand: 64, dirsync: 128, atime: 1024, noatime: 1024, diratime: 2048, nodiratime: 2048, bind: 4096,
  rbind: 4096 | 16384, relatime: 1 << 21, norelatime: 1 << 21, strictatime: 1 << 24, nostrictatime: 1 << 24,
  unbindable: PROPAGATION, runbindable: PROPAGATION, private: PROPAGATION, rprivate: PROPAGATION,
  shared: PROPAGATION, rshared: PROPAGATION, slave: PROPAGATION, rslave: PROPAGATION,
};
const TMPFS_DATA = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/** moby's MergeTmpfsOptions: later options win over earlier ones of the same kind, order kept. */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const seenFlags = new Set<number>();
  const seenData = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const option = options[i];
    if (option === 'defaults' || option === '') continue;
    const key = FLAG_KEYS[option];
    if (key !== undefined) {
      if (!seenFlags.has(key)) {
        out.unshift(option);
        seenFlags.add(key);
      }
      continue;
    }
    const eq = option.indexOf('=');
    const name = eq < 0 ? option : option.slice(0, eq);
    if (eq < 0 || !TMPFS_DATA.has(name)) throw invalid('ERR_TMPFS_OPTION', `invalid tmpfs option "${option}"`);
    if (!seenData.has(name)) {
      out.unshift(option);
      seenData.add(name);
    }
  }
  return out;
}

function checkDestination(dest: string, what: string): string {
  if (!path.posix.isAbsolute(dest)) throw invalid('ERR_MOUNT_DESTINATION', `invalid ${what} destination "${dest}": it must be an absolute path`);
  const clean = path.posix.normalize(dest).replace(/(.)\/+$/, '$1');
  if (clean === '/') throw invalid('ERR_MOUNT_DESTINATION', `invalid ${what} destination "${dest}": cannot be "/"`);
  return clean;
}

export function tmpfsMount(destination: string, data: string): OciMount {
  const options = ['noexec', 'nosuid', 'nodev', 'rprivate', ...(data ? data.split(',') : [])];
  return { destination: checkDestination(destination, 'tmpfs'), type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions(options) };
}

export function bindMount(m: BindMount): OciMount {
  const options = [m.recursive === false ? 'bind' : 'rbind'];
  if (m.readonly) options.push('ro');
  options.push(m.propagation ?? 'rprivate');
  return { destination: checkDestination(m.destination, 'mount'), type: 'bind', source: m.source, options };
}

const depth = (p: string) => path.posix.normalize(p).split('/').filter((s) => s.length > 0).length;

/** Defaults that keep their place (and skip `ro`) under `--read-only`, as in moby. */
const WRITABLE_UNDER_READONLY = new Set(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue']);

/**
 * Put the table together. `containerMounts` are the /etc files, binds, tmpfs and shared shm;
 * a container mount at a default's destination replaces it, one at /dev removes every /dev/* default.
 */
export function assembleMounts(defaults: OciMount[], containerMounts: OciMount[], readonlyRootfs: boolean): OciMount[] {
  const userDest = new Set(containerMounts.map((m) => m.destination));
  const mountsDev = userDest.has('/dev');
  const kept = defaults
    .filter((m) => !userDest.has(m.destination) && !(mountsDev && m.destination.startsWith('/dev/')))
    .map((m) => {
      if (!readonlyRootfs || WRITABLE_UNDER_READONLY.has(m.destination) || m.options?.includes('ro')) return m;
      return { ...m, options: [...(m.options ?? []), 'ro'] };
    });
  // Array.prototype.sort is stable, so mounts of equal depth keep the caller's order.
  const sorted = [...containerMounts].sort((a, b) => depth(a.destination) - depth(b.destination));
  return [...kept, ...sorted];
}
