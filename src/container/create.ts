/**
 * From a Docker create request and an image config to a container's config and host config:
 * dockerd's merge rules (user settings win, image settings fill the gaps), its defaults, and its
 * validation messages, so bad requests are refused at create with a 400 and leave nothing behind.
 */
import * as os from 'node:os';
import { invalid } from '../core/errors.js';
import { MASKED_PATHS, READONLY_PATHS } from '../runtime/defaults.js';
import { buildResources } from '../runtime/spec-resources.js';
import { hostCgroupVersion } from '../runtime/facts.js';
import { checkMountPoints, resourceOptions } from './bundle.js';
import { parseSignal } from './signals.js';
import type { ContainerConfig, ImageConfig } from '../image/oci.js';
import type { CreateRequest, HostConfig, RestartPolicy } from './contract.js';

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
const RESTART_POLICIES = ['', 'no', 'always', 'on-failure', 'unless-stopped'];

let cpus: number | undefined;
/** CPUs on the host, read once (os.cpus() parses /proc/cpuinfo on every call). */
export function cpuCount(): number {
  cpus ??= os.cpus().length;
  return cpus;
}

/** Treat `null` as "not set" for lists and maps, as the docker CLI sends both. */
function list<T>(v: T[] | null | undefined): T[] {
  return v ?? [];
}

/** Merge the image's container config into the user's (moby daemon/commit.go `merge`). */
export function mergeConfig(user: ContainerConfig, image: ContainerConfig | undefined): ContainerConfig {
  const c: ContainerConfig = { ...user };
  const img = image ?? {};
  if (!c.User) c.User = img.User ?? '';
  if (img.ExposedPorts) c.ExposedPorts = { ...img.ExposedPorts, ...(c.ExposedPorts ?? {}) };
  if (img.Env?.length) {
    const env = [...list(c.Env)];
    const keys = new Set(env.map((e) => e.split('=')[0]));
    for (const e of img.Env) if (!keys.has(e.split('=')[0])) env.push(e);
    c.Env = env;
  }
  if (img.Labels) c.Labels = { ...img.Labels, ...(c.Labels ?? {}) };
  if (!c.Entrypoint || c.Entrypoint.length === 0) {
    if (!c.Cmd || c.Cmd.length === 0) c.Cmd = img.Cmd ?? null;
    if (c.Entrypoint === null || c.Entrypoint === undefined) c.Entrypoint = img.Entrypoint ?? null;
  }
  if (!c.WorkingDir) c.WorkingDir = img.WorkingDir ?? '';
  if (img.Volumes) c.Volumes = { ...img.Volumes, ...(c.Volumes ?? {}) };
  if (!c.StopSignal && img.StopSignal) c.StopSignal = img.StopSignal;
  if (c.Healthcheck === undefined && img.Healthcheck !== undefined) c.Healthcheck = img.Healthcheck;
  if (!c.Shell && img.Shell) c.Shell = img.Shell;
  if (!c.OnBuild && img.OnBuild) c.OnBuild = img.OnBuild;
  // --entrypoint "" clears the image's entrypoint.
  if (c.Entrypoint && c.Entrypoint.length === 1 && c.Entrypoint[0] === '') c.Entrypoint = null;
  return c;
}

function checkRestartPolicy(p: RestartPolicy | undefined, autoRemove: boolean): RestartPolicy {
  const policy: RestartPolicy = { Name: p?.Name ?? 'no', MaximumRetryCount: p?.MaximumRetryCount ?? 0 };
  if (!RESTART_POLICIES.includes(policy.Name)) throw invalid('ERR_RESTART_POLICY', `invalid restart policy '${policy.Name}'`);
  if (policy.Name === '') policy.Name = 'no';
  if (policy.MaximumRetryCount < 0) throw invalid('ERR_RESTART_POLICY', 'maximum retry count cannot be negative');
  if (policy.MaximumRetryCount > 0 && policy.Name !== 'on-failure') {
    throw invalid('ERR_RESTART_POLICY', `maximum retry count cannot be used with restart policy '${policy.Name}'`);
  }
  if (autoRemove && policy.Name !== 'no') throw invalid('ERR_RESTART_POLICY', "can't create 'AutoRemove' container with restart policy");
  return policy;
}

/** Resource checks: the runtime's own (the same that start applies), so a bad value fails at create. */
function checkResources(h: HostConfig): void {
  buildResources(resourceOptions(h), cpuCount());
  if ((h.ShmSize ?? 0) < 0) throw invalid('ERR_RESOURCES', 'SHM size can not be less than 0');
  const oom = h.OomScoreAdj ?? 0;
  if (oom < -1000 || oom > 1000) throw invalid('ERR_RESOURCES', `Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
}

export interface CreateInput {
  request: CreateRequest;
  image: ImageConfig;
  /** Runtimes the daemon knows (name → path). */
  runtimes: Record<string, string>;
  defaultRuntime: string;
}

export interface CreatePlan {
  config: ContainerConfig;
  hostConfig: HostConfig;
  path: string;
  args: string[];
  /** For the create answer's Warnings, in dockerd's words. */
  warnings: string[];
}

/** Validate the request and compute what the container will be. Pure: throws `invalid` errors. */
export function planContainer(input: CreateInput, id: string): CreatePlan {
  const { request } = input;
  const { HostConfig: hostIn, NetworkingConfig: _net, ...userConfig } = request;
  const requested = userConfig as ContainerConfig;
  const config = mergeConfig(requested, input.image.config);
  const cmd = [...list(config.Entrypoint), ...list(config.Cmd)];
  if (cmd.length === 0) throw invalid('ERR_NO_COMMAND', 'No command specified');
  if (config.WorkingDir && !config.WorkingDir.startsWith('/')) {
    throw invalid('ERR_WORKDIR', `the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  if (!config.Hostname) config.Hostname = id.slice(0, 12);
  config.Domainname ??= '';
  if (config.Volumes && Object.keys(config.Volumes).length === 0) config.Volumes = null; // as dockerd stores it

  const h: HostConfig = { ...(hostIn ?? {}) };
  h.RestartPolicy = checkRestartPolicy(h.RestartPolicy, !!h.AutoRemove);
  checkResources(h);
  if (h.PidsLimit !== undefined && h.PidsLimit !== null && h.PidsLimit <= 0) h.PidsLimit = null;
  h.Runtime = h.Runtime || input.defaultRuntime;
  if (!(h.Runtime in input.runtimes)) throw invalid('ERR_RUNTIME', `Unknown runtime specified ${h.Runtime}`);
  if (!h.ShmSize) h.ShmSize = DEFAULT_SHM_SIZE;
  // dockerd's record: -1 (the kernel's default) kept as unset, the legacy kernel-memory fields present
  if (h.MemorySwappiness === -1) h.MemorySwappiness = null;
  h.KernelMemory ??= 0;
  h.KernelMemoryTCP ??= 0;
  // Recorded as dockerd does, so inspect shows what the container gets (and a later default
  // change does not alter an existing container).
  if (!h.Privileged) {
    h.MaskedPaths ??= [...MASKED_PATHS];
    h.ReadonlyPaths ??= [...READONLY_PATHS];
  }
  h.NetworkMode = h.NetworkMode || 'default';
  h.IpcMode = h.IpcMode || 'private';
  if (h.CgroupnsMode && h.CgroupnsMode !== 'host' && h.CgroupnsMode !== 'private') throw invalid('ERR_CGROUPNS', `invalid cgroup namespace mode: ${h.CgroupnsMode}`);
  h.CgroupnsMode = h.CgroupnsMode || (hostCgroupVersion() === 2 ? 'private' : 'host');
  checkMountPoints(h); // a bad or doubled -v/--mount/--tmpfs is a 400 at create, as in dockerd
  if (requested.StopSignal) parseSignal(requested.StopSignal); // dockerd checks the request's, not the image's
  h.LogConfig = { Type: h.LogConfig?.Type || 'k8s-file', Config: h.LogConfig?.Config ?? {} };
  if (!['k8s-file', 'json-file', 'none'].includes(h.LogConfig.Type)) {
    throw invalid('ERR_LOG_DRIVER', `logging driver "${h.LogConfig.Type}" is not supported by berthd (k8s-file, json-file or none)`);
  }
  for (const dest of Object.keys(h.Tmpfs ?? {})) {
    if (!dest.startsWith('/')) throw invalid('ERR_TMPFS', `invalid mount path for tmpfs: ${dest} (must be absolute)`);
  }
  for (const mode of [h.NetworkMode, h.PidMode, h.IpcMode, h.UTSMode]) {
    if (mode && mode.startsWith('container:')) {
      throw invalid('ERR_NAMESPACE_MODE', `joining another container's namespaces (${mode}) is not supported by berthd yet`);
    }
  }
  if (!['default', 'none', 'host', 'bridge'].includes(h.NetworkMode)) {
    throw invalid('ERR_NETWORK', `network ${h.NetworkMode} not found`);
  }
  const warnings: string[] = [];
  if (h.OomKillDisable && !h.Memory) warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  return { config, hostConfig: h, path: cmd[0], args: cmd.slice(1), warnings };
}
