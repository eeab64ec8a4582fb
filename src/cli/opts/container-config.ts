/**
 * From parsed run/create flags to the `POST /containers/create` body, field for field as the
 * docker CLI 28 builds it at API 1.41 (Go struct order, null versus [] and omitted fields).
 */
import { readFileSync } from 'node:fs';
import type { ParsedFlags } from '../flags/parse.js';
import type { Mount } from './mounts.js';
import { splitVolumes } from './mounts.js';
import { endpointsConfig, type EndpointSettings, type NetworkAttachment } from './network.js';
import { parseExpose, parsePublish } from './ports.js';
import { readEnvStrings, readKvStrings } from './kv-files.js';
import type { DeviceRequest, Ulimit } from './resources.js';
import { kvToMap } from './validators.js';

export interface CreateBody {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: Record<string, unknown>;
  Image: string;
  Volumes: Record<string, Record<string, never>>;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig: Record<string, unknown>;
  NetworkingConfig: { EndpointsConfig: Record<string, EndpointSettings> };
}

/** A Go map serialised by encoding/json: keys sorted. */
function sorted<T>(m: Record<string, T> | Map<string, T>): Record<string, T> {
  const entries = m instanceof Map ? [...m.entries()] : Object.entries(m);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function emptySet(keys: string[]): Record<string, Record<string, never>> {
  return sorted(Object.fromEntries(keys.map((k) => [k, {}])));
}

/**
 * docker passes the -e values through a Go map (for proxy settings): one entry per name, the last
 * value winning. (Its order is then random; berth keeps the order of first appearance.)
 */
function dedupeByKey(values: string[]): string[] {
  const byKey = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    byKey.set(eq >= 0 ? v.slice(0, eq) : v, v);
  }
  return [...byKey.values()];
}

function nullIfEmpty<T>(v: T[]): T[] | null {
  return v.length ? v : null;
}

function normalizeCapabilities(caps: string[]): string[] | null {
  const set = new Set(
    caps.map((c) => {
      const u = c.trim().toUpperCase();
      return u === 'ALL' || u === 'RESET' || u.startsWith('CAP_') ? u : `CAP_${u}`;
    }),
  );
  return caps.length ? [...set].sort() : null;
}

const validDeviceMode = (mode: string): boolean => mode !== '' && [...mode].every((c, i, all) => 'rwm'.includes(c) && all.indexOf(c) === i);

function cleanPath(p: string): string {
  const abs = p.startsWith('/');
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length && parts[parts.length - 1] !== '..') parts.pop();
      else if (!abs) parts.push('..');
      continue;
    }
    parts.push(seg);
  }
  const out = (abs ? '/' : '') + parts.join('/');
  return out || (abs ? '/' : '.');
}

/** docker's validateLinuxPath + parseLinuxDevice. */
function parseDevice(device: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  if ((device.match(/:/g) ?? []).length > 2) throw new Error(`bad format for path: ${device}`);
  const split = device.split(':');
  if (split[0] === '') throw new Error(`bad format for path: ${device}`);
  let containerPath: string;
  let val: string;
  if (split.length === 1) {
    containerPath = split[0];
    val = cleanPath(containerPath);
  } else if (split.length === 2) {
    if (validDeviceMode(split[1])) {
      containerPath = split[0];
      val = `${cleanPath(containerPath)}:${split[1]}`;
    } else {
      containerPath = split[1];
      val = `${split[0]}:${cleanPath(containerPath)}`;
    }
  } else {
    containerPath = split[1];
    if (!validDeviceMode(split[2])) throw new Error(`bad mode specified: ${split[2]}`);
    val = `${split[0]}:${containerPath}:${split[2]}`;
  }
  if (!containerPath.startsWith('/')) throw new Error(`${containerPath} is not an absolute path`);
  const arr = val.split(':');
  let src = arr[0];
  let dst = '';
  let permissions = 'rwm';
  if (arr.length === 3) permissions = arr[2];
  if (arr.length >= 2) {
    if (validDeviceMode(arr[1])) permissions = arr[1];
    else dst = arr[1];
  }
  src = arr[0];
  return { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: permissions };
}

function parseSecurityOpts(opts: string[]): string[] {
  return opts.map((opt) => {
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const k = sep >= 0 ? opt.slice(0, sep) : opt;
    const v = sep >= 0 ? opt.slice(sep + 1) : '';
    if ((sep < 0 || v === '') && k !== 'no-new-privileges') throw new Error(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (k === 'seccomp' && v !== 'unconfined' && v !== 'builtin') {
      let text: string;
      try {
        text = readFileSync(v, 'utf8');
      } catch (e) {
        throw new Error(`opening seccomp profile (${v}) failed: open ${v}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
      }
      try {
        return `seccomp=${JSON.stringify(JSON.parse(text))}`;
      } catch (e) {
        throw new Error(`compacting json for seccomp profile (${v}) failed: ${(e as Error).message}`);
      }
    }
    return opt;
  });
}

function checkMode(value: string, name: string, what: string, extraValid: (v: string) => boolean): void {
  if (!extraValid(value)) throw new Error(`--${name}: invalid ${what} mode`);
}

/** docker's ParseRestartPolicy. */
export function parseRestartPolicy(policy: string): { Name: string; MaximumRetryCount: number } {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const colon = policy.indexOf(':');
  const k = colon >= 0 ? policy.slice(0, colon) : policy;
  const v = colon >= 0 ? policy.slice(colon + 1) : '';
  if (colon >= 0 && k === '') throw new Error('invalid restart policy format: no policy provided before colon');
  let count = 0;
  if (v !== '') {
    if (!/^[+-]?\d+$/.test(v)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
    count = Number(v);
  }
  return { Name: k, MaximumRetryCount: count };
}

export interface BuildContext {
  image: string;
  args: string[];
  /** [rows, cols] of the local terminal when -t and stdout is a terminal (run only). */
  consoleSize?: [number, number];
}

/** The whole create body; throws with docker's message on invalid combinations. */
export function buildCreateBody(f: ParsedFlags, ctx: BuildContext): CreateBody {
  const attach = f.list('attach');
  let attachStdin = attach.includes('stdin');
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  if (f.bool('interactive')) attachStdin = true;
  if (attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
  }
  const swappiness = f.num('memory-swappiness');
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) throw new Error(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);

  const { binds, volumes } = splitVolumes(f.list('volume'));
  const tmpfs: Record<string, string> = {};
  for (const t of f.list('tmpfs')) {
    const c = t.indexOf(':');
    tmpfs[c >= 0 ? t.slice(0, c) : t] = c >= 0 ? t.slice(c + 1) : '';
  }
  const entrypoint = f.str('entrypoint') !== '' ? [f.str('entrypoint')] : f.changed('entrypoint') ? [''] : null;

  const { exposed, bindings } = parsePublish(f.list('publish'));
  for (const p of parseExpose(f.list('expose'))) if (!exposed.includes(p)) exposed.push(p);
  const devices = f.list('device').map(parseDevice);
  const env = readEnvStrings(f.list('env-file'), dedupeByKey(f.list('env')));
  const labels = readKvStrings(f.list('label-file'), f.list('label'));

  const pid = f.str('pid');
  checkMode(pid, 'pid', 'PID', (v) => ['', 'host'].includes(v) || (v.startsWith('container:') && v.length > 10));
  const uts = f.str('uts');
  checkMode(uts, 'uts', 'UTS', (v) => ['', 'host'].includes(v));
  const userns = f.str('userns');
  checkMode(userns, 'userns', 'USER', (v) => ['', 'host'].includes(v));
  const cgroupns = f.str('cgroupns');
  checkMode(cgroupns, 'cgroupns', 'CGROUP', (v) => ['', 'host', 'private'].includes(v));

  const restart = parseRestartPolicy(f.str('restart'));
  const logOpts = f.list('log-opt');
  if (f.str('log-driver') === 'none' && logOpts.length) throw new Error(`invalid logging opts for driver ${f.str('log-driver')}`);
  let securityOpts: string[] | null = nullIfEmpty(parseSecurityOpts(f.list('security-opt')));
  let maskedPaths: string[] | null = null;
  let readonlyPaths: string[] | null = null;
  if (securityOpts?.includes('systempaths=unconfined')) {
    securityOpts = securityOpts.filter((o) => o !== 'systempaths=unconfined');
    maskedPaths = [];
    readonlyPaths = [];
  }
  const storageOpts: Record<string, string> = {};
  for (const o of f.list('storage-opt')) {
    const eq = o.indexOf('=');
    if (eq < 0) throw new Error('invalid storage option');
    storageOpts[o.slice(0, eq)] = o.slice(eq + 1);
  }

  const healthcheck = buildHealthcheck(f);
  const ulimits = f.get<Ulimit[]>('ulimit');
  const sortedUlimits = [...ulimits].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  const deviceRequests = f.get<DeviceRequest[]>('gpus');

  const hostConfig: Record<string, unknown> = {
    Binds: nullIfEmpty(binds),
    ContainerIDFile: f.str('cidfile'),
    LogConfig: { Type: f.str('log-driver'), Config: sorted(kvToMap(logOpts)) },
    NetworkMode: f.get<NetworkAttachment[]>('network')[0]?.Target ?? 'default',
    PortBindings: sorted(bindings),
    RestartPolicy: restart,
    AutoRemove: f.bool('rm'),
    VolumeDriver: f.str('volume-driver'),
    VolumesFrom: nullIfEmpty(f.list('volumes-from')),
    ConsoleSize: ctx.consoleSize ?? [0, 0],
    ...(f.list('annotation').length ? { Annotations: sorted(kvToMap(f.list('annotation'))) } : {}),
    CapAdd: normalizeCapabilities(f.list('cap-add')),
    CapDrop: normalizeCapabilities(f.list('cap-drop')),
    CgroupnsMode: cgroupns,
    Dns: f.list('dns'),
    DnsOptions: f.list('dns-option'),
    DnsSearch: f.list('dns-search'),
    ExtraHosts: nullIfEmpty(f.list('add-host')),
    GroupAdd: nullIfEmpty(f.list('group-add')),
    IpcMode: f.str('ipc'),
    Cgroup: '',
    Links: nullIfEmpty(f.list('link')),
    OomScoreAdj: f.num('oom-score-adj'),
    PidMode: pid,
    Privileged: f.bool('privileged'),
    PublishAllPorts: f.bool('publish-all'),
    ReadonlyRootfs: f.bool('read-only'),
    SecurityOpt: securityOpts,
    ...(Object.keys(storageOpts).length ? { StorageOpt: sorted(storageOpts) } : {}),
    ...(Object.keys(tmpfs).length ? { Tmpfs: sorted(tmpfs) } : {}),
    UTSMode: uts,
    UsernsMode: userns,
    ShmSize: f.num('shm-size'),
    ...(f.list('sysctl').length ? { Sysctls: sorted(kvToMap(f.list('sysctl'))) } : {}),
    ...(f.str('runtime') ? { Runtime: f.str('runtime') } : {}),
    Isolation: f.str('isolation'),
    CpuShares: f.num('cpu-shares'),
    Memory: f.num('memory'),
    NanoCpus: f.num('cpus'),
    CgroupParent: f.str('cgroup-parent'),
    BlkioWeight: f.num('blkio-weight'),
    BlkioWeightDevice: f.get<unknown[]>('blkio-weight-device'),
    BlkioDeviceReadBps: f.get<unknown[]>('device-read-bps'),
    BlkioDeviceWriteBps: f.get<unknown[]>('device-write-bps'),
    BlkioDeviceReadIOps: f.get<unknown[]>('device-read-iops'),
    BlkioDeviceWriteIOps: f.get<unknown[]>('device-write-iops'),
    CpuPeriod: f.num('cpu-period'),
    CpuQuota: f.num('cpu-quota'),
    CpuRealtimePeriod: f.num('cpu-rt-period'),
    CpuRealtimeRuntime: f.num('cpu-rt-runtime'),
    CpusetCpus: f.str('cpuset-cpus'),
    CpusetMems: f.str('cpuset-mems'),
    Devices: devices,
    DeviceCgroupRules: nullIfEmpty(f.list('device-cgroup-rule')),
    DeviceRequests: nullIfEmpty(deviceRequests),
    ...(f.num('kernel-memory') ? { KernelMemory: f.num('kernel-memory') } : {}),
    MemoryReservation: f.num('memory-reservation'),
    MemorySwap: f.num('memory-swap'),
    MemorySwappiness: swappiness,
    OomKillDisable: f.bool('oom-kill-disable'),
    PidsLimit: f.num('pids-limit'),
    Ulimits: sortedUlimits,
    CpuCount: f.num('cpu-count'),
    CpuPercent: f.num('cpu-percent'),
    IOMaximumIOps: f.num('io-maxiops'),
    IOMaximumBandwidth: f.num('io-maxbandwidth'),
    ...(f.get<Mount[]>('mount').length ? { Mounts: f.get<Mount[]>('mount') } : {}),
    MaskedPaths: maskedPaths,
    ReadonlyPaths: readonlyPaths,
    ...(f.changed('init') ? { Init: f.bool('init') } : {}),
  };
  if (f.bool('rm') && !['', 'no'].includes(restart.Name)) throw new Error('conflicting options: cannot specify both --restart and --rm');

  const openStdin = f.bool('interactive');
  const endpoints = endpointsConfig(f.get<NetworkAttachment[]>('network'), {
    aliases: f.list('network-alias'),
    links: f.list('link'),
    ipv4: f.str('ip'),
    ipv6: f.str('ip6'),
    mac: f.str('mac-address'),
    linkLocalIps: f.list('link-local-ip'),
  });

  return {
    Hostname: f.str('hostname'),
    Domainname: f.str('domainname'),
    User: f.str('user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ...(exposed.length ? { ExposedPorts: emptySet(exposed) } : {}),
    Tty: f.bool('tty'),
    OpenStdin: openStdin,
    StdinOnce: openStdin && attachStdin,
    Env: nullIfEmpty(env),
    Cmd: nullIfEmpty(ctx.args),
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    Image: ctx.image,
    Volumes: emptySet(volumes),
    WorkingDir: f.str('workdir'),
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: sorted(kvToMap(labels)),
    ...(f.str('stop-signal') ? { StopSignal: f.str('stop-signal') } : {}),
    ...(f.changed('stop-timeout') ? { StopTimeout: f.num('stop-timeout') } : {}),
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
}

function buildHealthcheck(f: ParsedFlags): Record<string, unknown> | undefined {
  const interval = f.num('health-interval');
  const timeout = f.num('health-timeout');
  const startPeriod = f.num('health-start-period');
  const startInterval = f.num('health-start-interval');
  const retries = f.num('health-retries');
  const cmd = f.str('health-cmd');
  const have = cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0 || startInterval !== 0;
  if (f.bool('no-healthcheck')) {
    if (have) throw new Error('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!have) return undefined;
  for (const [name, v] of [
    ['interval', interval],
    ['timeout', timeout],
    ['retries', retries],
    ['start-period', startPeriod],
    ['start-interval', startInterval],
  ] as const) {
    if (v < 0) throw new Error(`--health-${name} cannot be negative`);
  }
  const out: Record<string, unknown> = {};
  if (cmd) out.Test = ['CMD-SHELL', cmd];
  if (interval) out.Interval = interval;
  if (timeout) out.Timeout = timeout;
  if (startPeriod) out.StartPeriod = startPeriod;
  if (startInterval) out.StartInterval = startInterval;
  if (retries) out.Retries = retries;
  return out;
}
