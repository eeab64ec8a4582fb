/** GET /version and GET /info, from real facts about this host and daemon. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { promisify } from 'node:util';
import { API_VERSION, MIN_API_VERSION } from '../api/contract.js';
import type { SystemService } from '../api/routes/system.js';
import { BERTH_VERSION } from '../core/version.js';
import { nativeArchitecture } from '../image/service.js';
import { hostCgroupVersion } from '../runtime/facts.js';
import type { DaemonConfig } from './config.js';

const run = promisify(execFile);

export interface SystemCounts {
  images(): number;
  containers(): { total: number; running: number; paused: number; stopped: number };
}

async function osRelease(): Promise<{ pretty: string; version: string }> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    const get = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '';
    return { pretty: get('PRETTY_NAME'), version: get('VERSION_ID') };
  } catch {
    return { pretty: 'Linux', version: '' };
  }
}

/** `runc --version` → version and commit, cached. */
async function runtimeVersion(path: string): Promise<{ version: string; commit: string }> {
  try {
    const { stdout } = await run(path, ['--version'], { timeout: 5000 });
    return {
      version: /version\s+(\S+)/.exec(stdout)?.[1] ?? '',
      commit: /commit:\s*(\S+)/.exec(stdout)?.[1] ?? '',
    };
  } catch {
    return { version: '', commit: '' };
  }
}

/**
 * /info's RegistryConfig as dockerd reports it: insecure CIDRs (loopback always) apart from
 * insecure host names, which get an index entry marked not secure.
 */
function registryConfig(insecure: string[]) {
  const isCidr = (entry: string) => {
    const [ip, bits, ...rest] = entry.split('/');
    return rest.length === 0 && bits !== undefined && /^\d+$/.test(bits) && net.isIP(ip) !== 0;
  };
  const index: Record<string, { Name: string; Mirrors: string[]; Secure: boolean; Official: boolean }> = {
    'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true },
  };
  for (const host of insecure.filter((e) => !isCidr(e))) index[host] = { Name: host, Mirrors: [], Secure: false, Official: false };
  return {
    AllowNondistributableArtifactsCIDRs: [],
    AllowNondistributableArtifactsHostnames: [],
    InsecureRegistryCIDRs: ['127.0.0.0/8', ...insecure.filter(isCidr).filter((c) => c !== '127.0.0.0/8')],
    IndexConfigs: index,
    Mirrors: [],
  };
}

export function createSystemService(config: DaemonConfig, counts: SystemCounts, daemonId: string, runtimes: Record<string, string>): SystemService {
  let runtimeInfo: Promise<{ version: string; commit: string }> | undefined;
  const defaultRuntimePath = runtimes[config.defaultRuntime] ?? config.defaultRuntime;
  const rt = () => (runtimeInfo ??= runtimeVersion(defaultRuntimePath));
  return {
    async version() {
      const r = await rt();
      const details = {
        ApiVersion: API_VERSION,
        Arch: nativeArchitecture(),
        BuildTime: '',
        Experimental: 'false',
        GitCommit: '',
        GoVersion: `node${process.versions.node}`,
        KernelVersion: os.release(),
        MinAPIVersion: MIN_API_VERSION,
        Os: 'linux',
      };
      return {
        Platform: { Name: 'berth' },
        Components: [
          { Name: 'Engine', Version: BERTH_VERSION, Details: details },
          { Name: config.defaultRuntime, Version: r.version, Details: { GitCommit: r.commit } },
        ],
        Version: BERTH_VERSION,
        ApiVersion: API_VERSION,
        MinAPIVersion: MIN_API_VERSION,
        GitCommit: '',
        GoVersion: details.GoVersion,
        Os: 'linux',
        Arch: details.Arch,
        KernelVersion: details.KernelVersion,
        BuildTime: '',
      };
    },
    async info() {
      const c = counts.containers();
      const rel = await osRelease();
      const r = await rt();
      const rts: Record<string, { path: string }> = {};
      for (const [name, path] of Object.entries(runtimes)) rts[name] = { path };
      return {
        ID: daemonId,
        Containers: c.total,
        ContainersRunning: c.running,
        ContainersPaused: c.paused,
        ContainersStopped: c.stopped,
        Images: counts.images(),
        Driver: 'overlayfs',
        DriverStatus: [['Backing Filesystem', 'overlay snapshots'], ['Supports d_type', 'true'], ['Layer sync', String(config.layerSync)]],
        Plugins: { Volume: ['local'], Network: ['null', 'host'], Authorization: null, Log: ['k8s-file'] },
        MemoryLimit: true,
        SwapLimit: fs.existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes') || hostCgroupVersion() === 2,
        CpuCfsPeriod: true,
        CpuCfsQuota: true,
        CPUShares: true,
        CPUSet: true,
        PidsLimit: true,
        IPv4Forwarding: (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8').catch(() => '0')).trim() === '1',
        Debug: config.logLevel === 'debug',
        NFd: fs.readdirSync('/proc/self/fd').length,
        OomKillDisable: hostCgroupVersion() === 1,
        NGoroutines: 0,
        SystemTime: new Date().toISOString(),
        LoggingDriver: 'k8s-file',
        CgroupDriver: 'cgroupfs',
        CgroupVersion: String(hostCgroupVersion()),
        NEventsListener: 0,
        KernelVersion: os.release(),
        OperatingSystem: rel.pretty,
        OSVersion: rel.version,
        OSType: 'linux',
        Architecture: os.machine(),
        IndexServerAddress: 'https://index.docker.io/v1/',
        RegistryConfig: registryConfig(config.insecureRegistries),
        NCPU: os.cpus().length,
        MemTotal: os.totalmem(),
        GenericResources: null,
        DockerRootDir: config.dataRoot,
        HttpProxy: process.env.HTTP_PROXY ?? '',
        HttpsProxy: process.env.HTTPS_PROXY ?? '',
        NoProxy: process.env.NO_PROXY ?? '',
        Name: os.hostname(),
        Labels: [],
        ExperimentalBuild: false,
        ServerVersion: BERTH_VERSION,
        Runtimes: rts,
        DefaultRuntime: config.defaultRuntime,
        Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
        LiveRestoreEnabled: true,
        Isolation: '',
        InitBinary: 'tini',
        ContainerdCommit: { ID: '', Expected: '' },
        RuncCommit: { ID: r.commit, Expected: r.commit },
        InitCommit: { ID: '', Expected: '' },
        SecurityOptions: ['name=seccomp,profile=builtin'],
        Warnings: null,
      };
    },
  };
}
