/**
 * gatherSpecFacts: the I/O half of buildSpec. It reads what the bundle depends on from the host
 * (architecture, kernel, cgroup version, grantable capabilities, sysctls, tini, devices) and from
 * the rootfs (/etc/passwd, /etc/group, where the working directory leads), never following a
 * symlink out of the rootfs.
 */
import { existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { cpus, release } from 'node:os';
import * as path from 'node:path';
import { errnoCode, invalid } from '../core/errors.js';
import { capabilitiesFromMask } from './capabilities.js';
import type { HostDevice, SpecFacts, SpecOptions } from './contract.js';
import { DEFAULT_NET_SYSCTLS } from './defaults.js';
import { readFileInRoot, resolveContainerPath } from './rootfs-path.js';
import { nativeArch } from './seccomp.js';

const INIT_CANDIDATES = ['/usr/bin/tini-static', '/usr/bin/tini', '/usr/libexec/docker/docker-init', '/usr/bin/docker-init'];

/** glibc's major()/minor() of a dev_t. */
export function splitDev(dev: bigint): { major: number; minor: number } {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/** The device at `p`, or undefined when it is not a character or block device. */
export async function statDevice(p: string): Promise<HostDevice | undefined> {
  const st = await fsp.stat(p, { bigint: true });
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  return { path: p, type, ...splitDev(st.rdev), fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) };
}

// runc's HostDevices skips these directories under /dev, and /dev/console.
const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Every device node below `dir` (symlinks are not followed). */
export async function devicesUnder(dir: string, top = true): Promise<HostDevice[]> {
  const out: HostDevice[] = [];
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (top && dir === '/dev' && SKIP_DIRS.has(entry.name)) continue;
      out.push(...(await devicesUnder(p, false)));
    } else if ((entry.isCharacterDevice() || entry.isBlockDevice()) && p !== '/dev/console') {
      const d = await statDevice(p).catch(() => undefined);
      if (d) out.push(d);
    }
  }
  return out;
}

async function deviceFacts(pathOnHost: string): Promise<HostDevice[]> {
  let st;
  try {
    st = await fsp.stat(pathOnHost);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
  if (st.isDirectory()) return devicesUnder(pathOnHost, false);
  const d = await statDevice(pathOnHost);
  if (!d) throw invalid('ERR_DEVICE_NOT_FOUND', `error gathering device information while adding custom device "${pathOnHost}": not a device node`);
  return [d];
}

async function grantableCapabilities(): Promise<string[]> {
  const lastCap = Number((await fsp.readFile('/proc/sys/kernel/cap_last_cap', 'utf8')).trim());
  const status = await fsp.readFile('/proc/self/status', 'utf8');
  const bnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
  return capabilitiesFromMask(bnd ? BigInt(`0x${bnd[1]}`) : 0n, lastCap);
}

async function thermalThrottlePaths(): Promise<string[]> {
  const base = '/sys/devices/system/cpu';
  const names = await fsp.readdir(base).catch(() => [] as string[]);
  return names
    .filter((n) => /^cpu\d+$/.test(n))
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))
    .map((n) => path.join(base, n, 'thermal_throttle'))
    .filter((p) => existsSync(p));
}

export function findInitBinary(): string | undefined {
  return INIT_CANDIDATES.find((p) => existsSync(p));
}

let cgroupVersion: 1 | 2 | undefined;

/** The host's cgroup layout (read once): 2 when the unified hierarchy is mounted at /sys/fs/cgroup. */
export function hostCgroupVersion(): 1 | 2 {
  cgroupVersion ??= existsSync('/sys/fs/cgroup/cgroup.controllers') ? 2 : 1;
  return cgroupVersion;
}

type HostFacts = Pick<SpecFacts, 'arch' | 'kernel' | 'cgroupVersion' | 'capabilities' | 'sysctls' | 'thermalThrottlePaths' | 'cpuCount'>;
let hostFacts: Promise<HostFacts> | undefined;

/** The facts that do not change while berthd runs, read once. */
export function hostSpecFacts(): Promise<HostFacts> {
  hostFacts ??= (async () => ({
    arch: nativeArch(),
    kernel: release(),
    cgroupVersion: hostCgroupVersion(),
    capabilities: await grantableCapabilities(),
    sysctls: Object.keys(DEFAULT_NET_SYSCTLS).filter((k) => existsSync(`/proc/sys/${k.replaceAll('.', '/')}`)),
    thermalThrottlePaths: await thermalThrottlePaths(),
    cpuCount: cpus().length,
  }))();
  return hostFacts;
}

export async function gatherSpecFacts(o: SpecOptions): Promise<SpecFacts> {
  const devices: Record<string, HostDevice[]> = {};
  if (!o.privileged) for (const d of o.devices ?? []) devices[d.pathOnHost] = await deviceFacts(d.pathOnHost);
  const facts: SpecFacts = {
    ...(await hostSpecFacts()),
    devices,
    passwd: await readFileInRoot(o.rootfs, '/etc/passwd'),
    group: await readFileInRoot(o.rootfs, '/etc/group'),
  };
  if (o.init) {
    const init = findInitBinary();
    if (init) facts.initPath = init;
  }
  if (o.privileged) facts.allDevices = await devicesUnder('/dev');
  if (o.workingDir && o.workingDir.startsWith('/')) facts.workingDirResolved = await resolveContainerPath(o.rootfs, o.workingDir);
  return facts;
}
