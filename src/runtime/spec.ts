/**
 * buildSpec: Docker's default container profile as an OCI config.json (runtime.md 1.1–1.9), with
 * the user's options applied last. A pure function of its options and the host facts
 * (gatherSpecFacts collects those), so every field can be checked without running anything.
 */
import { invalid, unavailable } from '../core/errors.js';
import { DEFAULT_CAPABILITIES, tweakCapabilities } from './capabilities.js';
import type { SpecFacts, SpecOptions } from './contract.js';
import { DEFAULT_CGROUP_PARENT, DEFAULT_DEVICE_RULES, DEFAULT_NET_SYSCTLS, DEFAULT_SHM_SIZE, INIT_PATH_IN_CONTAINER, MASKED_PATHS, READONLY_PATHS } from './defaults.js';
import type { OciCapabilities, OciDevice, OciDeviceRule, OciLinux, OciMount, OciNamespace, OciNamespaceType, OciProcess, OciSpec } from './oci-config.js';
import { convertSeccompProfile, defaultSeccompProfile, parseSeccompProfile } from './seccomp.js';
import { devicesFromMapping, hostDeviceNodes, parseDeviceCgroupRule } from './spec-devices.js';
import { checkSysctls, toRlimits } from './spec-limits.js';
import { assembleMounts, bindMount, defaultMounts, tmpfsMount } from './spec-mounts.js';
import { checkWorkingDir, containerEnv } from './spec-process.js';
import { buildResources } from './spec-resources.js';
import { parseSecurityOptions } from './spec-security.js';
import { resolveUser } from './user.js';

export const OCI_VERSION = '1.0.2-dev';

/** The hostname Docker gives a container by default: the first 12 characters of its ID. */
export function defaultHostname(id: string): string {
  return id.slice(0, 12);
}

/** Docker's capability sets: all three for root; only the bounding set for another user. */
export function capabilitySets(caps: string[], uid: number): OciCapabilities {
  return uid === 0 ? { bounding: caps, effective: caps, permitted: caps } : { bounding: caps };
}

function namespaces(o: SpecOptions, cgroupVersion: 1 | 2): OciNamespace[] {
  const out: OciNamespace[] = [{ type: 'mount' }];
  const add = (type: OciNamespaceType, mode: SpecOptions['network'] | SpecOptions['ipc']) => {
    if (mode === 'host') return;
    if (typeof mode === 'object') out.push({ type, path: mode.path });
    else out.push({ type });
  };
  add('network', o.network ?? 'private');
  if ((o.uts ?? 'private') !== 'host') out.push({ type: 'uts' });
  add('pid', o.pid ?? 'private');
  add('ipc', o.ipc ?? 'private');
  // A private cgroup namespace is Docker's default on cgroup v2 only. Never `time` (runc 1.1 and crun 1.8 reject it).
  if ((o.cgroupns ?? (cgroupVersion === 2 ? 'private' : 'host')) === 'private') out.push({ type: 'cgroup' });
  return out;
}

function checkOomScoreAdj(value: number | undefined): number {
  const v = value ?? 0;
  if (!Number.isInteger(v) || v < -1000 || v > 1000) {
    throw invalid('ERR_OOM_SCORE_ADJ', `Invalid value ${v}, range for oom score adj is [-1000, 1000]`);
  }
  return v;
}

/** The container's own mounts: /etc files, shared /dev/shm, binds, tmpfs (before ordering). */
function containerMounts(o: SpecOptions): OciMount[] {
  const ro = o.readonlyRootfs === true;
  const out: OciMount[] = [];
  const etc: [string, string | undefined][] = [
    ['/etc/resolv.conf', o.etcFiles?.resolvConf],
    ['/etc/hostname', o.etcFiles?.hostname],
    ['/etc/hosts', o.etcFiles?.hosts],
  ];
  for (const [destination, source] of etc) if (source) out.push(bindMount({ source, destination, readonly: ro }));
  const ipc = o.ipc ?? 'private';
  if (ipc === 'host') out.push(bindMount({ source: '/dev/shm', destination: '/dev/shm' }));
  else if (typeof ipc === 'object' && ipc.shmSource) out.push(bindMount({ source: ipc.shmSource, destination: '/dev/shm' }));
  for (const m of o.mounts ?? []) out.push(bindMount(m));
  for (const [destination, data] of Object.entries(o.tmpfs ?? {})) out.push(tmpfsMount(destination, data));
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.destination)) throw invalid('ERR_DUPLICATE_MOUNT', `Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  return out;
}

function deviceSetup(o: SpecOptions, facts: SpecFacts, privileged: boolean): { devices: OciDevice[]; rules: OciDeviceRule[] } {
  if (privileged) {
    return { devices: hostDeviceNodes(facts.allDevices ?? []), rules: [{ allow: true, access: 'rwm' }] };
  }
  const devices: OciDevice[] = [];
  const rules: OciDeviceRule[] = DEFAULT_DEVICE_RULES.map((r) => ({ ...r }));
  for (const mapping of o.devices ?? []) {
    const d = devicesFromMapping(mapping, facts.devices[mapping.pathOnHost]);
    devices.push(...d.devices);
    rules.push(...d.rules);
  }
  for (const r of o.deviceCgroupRules ?? []) rules.push(parseDeviceCgroupRule(r));
  return { devices, rules };
}

export function buildSpec(o: SpecOptions, facts: SpecFacts): OciSpec {
  const privileged = o.privileged === true;
  const tty = o.tty === true;
  const security = parseSecurityOptions(o.securityOpt);
  const network = o.network ?? 'private';
  const ipc = o.ipc ?? 'private';
  const uts = o.uts ?? 'private';
  const hostname = o.hostname || defaultHostname(o.id);

  const user = resolveUser(o.user, facts.passwd, facts.group, o.groupAdd);
  const caps = tweakCapabilities(DEFAULT_CAPABILITIES, o.capAdd ?? [], o.capDrop ?? [], privileged, facts.capabilities);

  let args = [...o.args];
  if (args.length === 0) throw invalid('ERR_NO_COMMAND', 'no command specified');
  const mounts = assembleMounts(defaultMounts(o.shmSize ?? DEFAULT_SHM_SIZE, privileged, ipc), containerMounts(o), o.readonlyRootfs === true);
  if (o.init && (o.pid ?? 'private') === 'private') {
    if (!facts.initPath) throw unavailable('ERR_INIT_NOT_FOUND', '--init needs tini on the host, and none was found', { hint: 'install the Debian package tini' });
    args = [INIT_PATH_IN_CONTAINER, '--', ...args];
    mounts.push({ destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: facts.initPath, options: ['bind', 'ro'] });
  }

  const process: OciProcess = {
    terminal: tty,
    user,
    args,
    env: containerEnv(o.env ?? [], hostname, tty),
    cwd: checkWorkingDir(o.workingDir, facts.workingDirResolved),
    capabilities: capabilitySets(caps, user.uid),
  };
  if (tty) process.consoleSize = { height: o.consoleSize?.[0] ?? 0, width: o.consoleSize?.[1] ?? 0 };
  if (o.ulimits && o.ulimits.length > 0) process.rlimits = toRlimits(o.ulimits);
  if (security.noNewPrivileges) process.noNewPrivileges = true;
  process.oomScoreAdj = checkOomScoreAdj(o.oomScoreAdj);

  const sysctl: Record<string, string> = {};
  const ownNetns = network === 'private' || (typeof network === 'object' && !network.joinsContainer);
  if (ownNetns) for (const [k, v] of Object.entries(DEFAULT_NET_SYSCTLS)) if (facts.sysctls.includes(k)) sysctl[k] = v;
  checkSysctls(o.sysctls ?? {}, network, ipc, uts);
  Object.assign(sysctl, o.sysctls ?? {});

  const { devices, rules } = deviceSetup(o, facts, privileged);
  const linux: OciLinux = {
    namespaces: namespaces(o, facts.cgroupVersion),
    devices,
    cgroupsPath: `${(o.cgroupParent ?? DEFAULT_CGROUP_PARENT).replace(/\/+$/, '')}/${o.id}`,
    resources: { devices: rules, ...buildResources(o, facts.cpuCount, facts.cgroupVersion) },
  };
  if (Object.keys(sysctl).length > 0) linux.sysctl = sysctl;
  if (!privileged && security.seccomp !== 'unconfined') {
    const profile = security.seccomp ? parseSeccompProfile(security.seccomp.profile) : defaultSeccompProfile();
    linux.seccomp = convertSeccompProfile(profile, { arch: facts.arch, kernel: facts.kernel, bounding: caps });
  }
  if (!privileged) {
    const masked = o.maskedPaths ?? MASKED_PATHS;
    // the host's thermal-throttle files go with any masking, not with none
    linux.maskedPaths = security.unmaskSystemPaths || masked.length === 0 ? [] : [...masked, ...facts.thermalThrottlePaths];
    linux.readonlyPaths = security.unmaskSystemPaths ? [] : [...(o.readonlyPaths ?? READONLY_PATHS)];
  }

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process,
    root: { path: o.rootfs, readonly: o.readonlyRootfs === true },
    mounts,
    linux,
  };
  if (uts !== 'host') spec.hostname = hostname;
  if (o.annotations && Object.keys(o.annotations).length > 0) spec.annotations = { ...o.annotations };
  return spec;
}
