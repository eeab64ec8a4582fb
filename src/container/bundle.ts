/**
 * From a container record to what the runtime needs at start: the rootfs mounted from the
 * container's snapshot, the working directory made, and the OCI spec built with Docker's
 * defaults and the container's options.
 */
import { existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { invalid } from '../core/errors.js';
import type { BindMount, OciSpec, SpecOptions } from '../runtime/contract.js';
import { gatherSpecFacts } from '../runtime/facts.js';
import { mkdirInRoot } from '../runtime/rootfs-path.js';
import { buildSpec } from '../runtime/spec.js';
import type { Snapshotter } from '../snapshot/contract.js';
import { mount, unmount } from '../snapshot/mount.js';
import type { ResourceOptions } from '../runtime/spec-resources.js';
import type { ContainerRecord, HostConfig, HostMount } from './contract.js';
import { etcFilePaths } from './etc-files.js';

export function rootfsDir(containerDir: string): string {
  return path.join(containerDir, 'rootfs');
}

/** Mount the container's snapshot at `<container dir>/rootfs` (replacing a stale mount). */
export async function mountRootfs(snapshots: Snapshotter, id: string, containerDir: string): Promise<string> {
  const target = rootfsDir(containerDir);
  await fsp.mkdir(target, { recursive: true, mode: 0o755 });
  unmountRootfs(containerDir);
  mount(snapshots.mounts(id), target);
  return target;
}

/** Unmount the rootfs if it is mounted (idempotent). */
export function unmountRootfs(containerDir: string): void {
  try {
    unmount(rootfsDir(containerDir));
  } catch {
    // not mounted
  }
}

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'] as const;

/**
 * `--mount` (HostConfig.Mounts) with dockerd's checks and messages: binds of existing absolute
 * host paths, and tmpfs (as `--tmpfs` entries); named volumes come with the volume issue.
 */
export function parseMounts(mounts: HostMount[]): { binds: BindMount[]; tmpfs: Record<string, string> } {
  const binds: BindMount[] = [];
  const tmpfs: Record<string, string> = {};
  for (const m of mounts) {
    const type = m.Type ?? '';
    const bad = (why: string) => invalid('ERR_MOUNT', `invalid mount config for type "${type}": ${why}`);
    const absolute = (p: string) => {
      if (!p.startsWith('/')) throw bad(`invalid mount path: '${p}' mount path must be absolute`);
    };
    if (type === 'volume') throw invalid('ERR_MOUNT', 'named volumes are not supported by berthd yet (--mount type=volume): bind an absolute host path instead');
    if (type !== 'bind' && type !== 'tmpfs') throw bad('mount type unknown');
    if (!m.Target) throw bad('field Target must not be empty');
    absolute(m.Target);
    if (path.posix.normalize(m.Target) === '/') throw bad("invalid specification: destination can't be '/'");
    if (type === 'tmpfs') {
      if (m.Source) throw bad('field Source must not be specified');
      const opts = [m.TmpfsOptions?.SizeBytes ? `size=${m.TmpfsOptions.SizeBytes}` : '', m.TmpfsOptions?.Mode ? `mode=${m.TmpfsOptions.Mode.toString(8)}` : '', m.ReadOnly ? 'ro' : ''];
      tmpfs[m.Target] = opts.filter(Boolean).join(',');
      continue;
    }
    if (!m.Source) throw bad('field Source must not be empty');
    absolute(m.Source);
    if (!existsSync(m.Source)) throw bad(`bind source path does not exist: ${m.Source}`);
    const propagation = m.BindOptions?.Propagation || undefined;
    if (propagation !== undefined && !(PROPAGATIONS as readonly string[]).includes(propagation)) throw bad(`invalid propagation mode: ${propagation}`);
    binds.push({ source: m.Source, destination: m.Target, readonly: m.ReadOnly === true, ...(propagation ? { propagation: propagation as BindMount['propagation'] } : {}) });
  }
  return { binds, tmpfs };
}

/**
 * Every destination of -v, --mount and --tmpfs, refused when two are the same place (dockerd's
 * "Duplicate mount point"): the later one would hide the earlier, a read-only bind included.
 */
export function checkMountPoints(h: HostConfig): void {
  const seen = new Set<string>();
  const fromMounts = parseMounts(h.Mounts ?? []);
  const all = [...parseBinds(h.Binds ?? []).map((b) => b.destination), ...fromMounts.binds.map((b) => b.destination), ...Object.keys(fromMounts.tmpfs), ...Object.keys(h.Tmpfs ?? {})];
  for (const dest of all) {
    const clean = path.posix.normalize(dest).replace(/(.)\/+$/, '$1');
    if (seen.has(clean)) throw invalid('ERR_MOUNT', `Duplicate mount point: ${clean}`);
    seen.add(clean);
  }
}

/** `-v /host/path:/container/path[:ro|rw][,...]` binds (named volumes come with the volume issue). */
export function parseBinds(binds: string[]): BindMount[] {
  return binds.map((b) => {
    const parts = b.split(':');
    if (parts.length < 2 || parts.length > 3) throw invalid('ERR_BIND', `invalid volume specification: '${b}'`);
    const [source, destination, mode = ''] = parts;
    if (!source.startsWith('/')) {
      throw invalid('ERR_BIND', `named volumes are not supported by berthd yet: '${b}' (use an absolute host path)`);
    }
    if (!destination.startsWith('/')) throw invalid('ERR_BIND', `invalid volume specification: '${b}': the container path must be absolute`);
    const opts = mode.split(',').filter(Boolean);
    for (const o of opts) {
      if (!['ro', 'rw', 'z', 'Z', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'nocopy'].includes(o)) {
        throw invalid('ERR_BIND', `invalid mode: ${o}`);
      }
    }
    const propagation = opts.find((o) => /^r?(private|shared|slave)$/.test(o)) as BindMount['propagation'];
    return { source, destination, readonly: opts.includes('ro'), ...(propagation ? { propagation } : {}) };
  });
}

/** The resource limits of a HostConfig as the runtime takes them (create, start and update share this). */
export function resourceOptions(h: HostConfig): ResourceOptions {
  const o: ResourceOptions = {};
  if (h.Memory) o.memory = h.Memory;
  if (h.MemorySwap) o.memorySwap = h.MemorySwap;
  if (h.MemoryReservation) o.memoryReservation = h.MemoryReservation;
  if (typeof h.MemorySwappiness === 'number' && h.MemorySwappiness !== -1) o.memorySwappiness = h.MemorySwappiness;
  if (h.OomKillDisable === true) o.oomKillDisable = true;
  if (h.NanoCpus) o.nanoCpus = h.NanoCpus;
  if (h.CpuShares) o.cpuShares = h.CpuShares;
  if (h.CpuPeriod) o.cpuPeriod = h.CpuPeriod;
  if (h.CpuQuota) o.cpuQuota = h.CpuQuota;
  if (h.CpusetCpus) o.cpusetCpus = h.CpusetCpus;
  if (h.CpusetMems) o.cpusetMems = h.CpusetMems;
  if (h.PidsLimit) o.pidsLimit = h.PidsLimit;
  return o;
}

/** The runtime's view of a container's options (Docker HostConfig/Config → SpecOptions). */
export function specOptions(rec: ContainerRecord, rootfs: string, containerDir: string): SpecOptions {
  const h = rec.hostConfig;
  const c = rec.config;
  const etc = etcFilePaths(containerDir);
  const ns = (mode: string | undefined) => (mode === 'host' ? 'host' : 'private');
  const mounts = parseMounts(h.Mounts ?? []);
  const o: SpecOptions = {
    id: rec.id,
    rootfs,
    args: [rec.path, ...rec.args],
    env: c.Env ?? [],
    hostname: c.Hostname ?? rec.id.slice(0, 12),
    tty: c.Tty === true,
    readonlyRootfs: h.ReadonlyRootfs === true,
    privileged: h.Privileged === true,
    capAdd: h.CapAdd ?? [],
    capDrop: h.CapDrop ?? [],
    securityOpt: h.SecurityOpt ?? [],
    ...(h.MaskedPaths ? { maskedPaths: h.MaskedPaths } : {}),
    ...(h.ReadonlyPaths ? { readonlyPaths: h.ReadonlyPaths } : {}),
    init: h.Init === true,
    ulimits: (h.Ulimits ?? []).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })),
    devices: (h.Devices ?? []).map((d) => ({ pathOnHost: d.PathOnHost, pathInContainer: d.PathInContainer || d.PathOnHost, cgroupPermissions: d.CgroupPermissions || 'rwm' })),
    etcFiles: { resolvConf: etc.resolvConf, hostname: etc.hostname, hosts: etc.hosts },
    network: h.NetworkMode === 'host' ? 'host' : 'private',
    pid: ns(h.PidMode),
    ipc: h.IpcMode === 'host' ? 'host' : h.IpcMode === 'none' ? 'none' : 'private',
    uts: h.UTSMode === 'host' ? 'host' : 'private',
    ...(h.CgroupnsMode === 'private' || (h.CgroupnsMode === 'host' && rec.cgroupnsApplied) ? { cgroupns: h.CgroupnsMode } : {}),
    mounts: [...parseBinds(h.Binds ?? []), ...mounts.binds],
  };
  if (c.WorkingDir) o.workingDir = c.WorkingDir;
  if (c.User) o.user = c.User;
  if (h.GroupAdd?.length) o.groupAdd = h.GroupAdd;
  if (h.ConsoleSize && h.ConsoleSize[0] > 0) o.consoleSize = h.ConsoleSize;
  Object.assign(o, resourceOptions(h));
  if (h.Sysctls) o.sysctls = h.Sysctls;
  if (h.DeviceCgroupRules?.length) o.deviceCgroupRules = h.DeviceCgroupRules;
  if (h.Tmpfs || Object.keys(mounts.tmpfs).length > 0) o.tmpfs = { ...(h.Tmpfs ?? {}), ...mounts.tmpfs };
  if (h.ShmSize) o.shmSize = h.ShmSize;
  if (h.OomScoreAdj) o.oomScoreAdj = h.OomScoreAdj;
  return o;
}

/** Build the spec for a mounted rootfs and create the working directory Docker-style. */
export async function prepareSpec(rec: ContainerRecord, rootfs: string, containerDir: string): Promise<OciSpec> {
  const opts = specOptions(rec, rootfs, containerDir);
  const spec = buildSpec(opts, await gatherSpecFacts(opts));
  if (spec.process.cwd && spec.process.cwd !== '/') {
    await mkdirInRoot(rootfs, spec.process.cwd, spec.process.user.uid, spec.process.user.gid);
  }
  return spec;
}
