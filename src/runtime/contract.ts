/**
 * What the container service uses from the runtime domain: the options that become an OCI
 * bundle (named and meant as Docker's HostConfig/Config fields), the host facts the bundle
 * depends on, and the shapes returned by the supervisor (conmon + runc/crun): exits, attach
 * frames, log entries, recovered state.
 */
import type { OciProcess, OciSpec, OciState } from './oci-config.js';

export type { OciSpec, OciProcess, OciState } from './oci-config.js';

// ---------------------------------------------------------------------------------------------
// Bundle options

/**
 * How a namespace is set up: a private one (default), the host's (`--net=host`), or joining an
 * existing one by path (`/proc/<pid>/ns/net` of another container, or a netns the daemon made).
 * `joinsContainer` marks the `container:<id>` case, where Docker skips the per-netns sysctls.
 */
export type NamespaceMode = 'private' | 'host' | { path: string; joinsContainer?: boolean };

/** `--ipc`: like NamespaceMode, plus `none` (no /dev/shm). Joining takes the other /dev/shm. */
export type IpcMode = 'private' | 'host' | 'none' | { path: string; shmSource?: string };

export interface BindMount {
  source: string;
  destination: string;
  readonly?: boolean;
  /** rbind (default) or bind. */
  recursive?: boolean;
  /** Default rprivate. */
  propagation?: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
}

/** `--device PathOnHost[:PathInContainer][:CgroupPermissions]`, as Docker's API carries it. */
export interface DeviceMapping {
  pathOnHost: string;
  pathInContainer?: string;
  cgroupPermissions?: string;
}

/** `--ulimit name=soft[:hard]`, as Docker's API carries it ({Name, Soft, Hard}). */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

export interface SpecOptions {
  /** Container ID: cgroupsPath is `<cgroupParent>/<id>`, the hostname defaults to its first 12 chars. */
  id: string;
  /** The rootfs (overlay merged dir). */
  rootfs: string;
  /** Entrypoint + Cmd, already combined. */
  args: string[];
  /** Config.Env: the image's env merged with `-e`; PATH/HOSTNAME/TERM are added as Docker does. */
  env?: string[];
  /** `-w`; default `/`. */
  workingDir?: string;
  /** `-u name|uid[:group|gid]`, resolved against the rootfs's /etc/passwd and /etc/group. */
  user?: string;
  /** `--group-add`. */
  groupAdd?: string[];
  hostname?: string;
  tty?: boolean;
  /** `[height, width]` for a tty. */
  consoleSize?: [number, number];
  readonlyRootfs?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  /** A cgroup namespace of its own; default: private on cgroup v2, host on v1 (Docker's defaults). */
  cgroupns?: 'host' | 'private';
  /** `no-new-privileges[=true|false]`, `seccomp=unconfined`, `seccomp=<profile JSON>`, `systempaths=unconfined`. */
  securityOpt?: string[];
  /**
   * HostConfig.MaskedPaths / ReadonlyPaths: the defaults when absent; `[]` leaves /proc and /sys
   * as they are (what the docker CLI sends for `--security-opt systempaths=unconfined`).
   */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /** `--init`: tini as /sbin/docker-init (only with a private pid namespace). */
  init?: boolean;
  /** Bytes. */
  memory?: number;
  /** Memory + swap in bytes; -1 = unlimited swap. */
  memorySwap?: number;
  memoryReservation?: number;
  /** 0–100, cgroup v1's memory.swappiness (cgroup v2 has none: dropped there, as dockerd does). */
  memorySwappiness?: number;
  /** cgroup v1's memory.oom_control (v2 has none: dropped there, as dockerd does). */
  oomKillDisable?: boolean;
  /** `--cpus` × 1e9. */
  nanoCpus?: number;
  cpuShares?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** ≤ 0 means unlimited. */
  pidsLimit?: number;
  ulimits?: Ulimit[];
  sysctls?: Record<string, string>;
  devices?: DeviceMapping[];
  /** `--device-cgroup-rule 'c 1:3 mr'`. */
  deviceCgroupRules?: string[];
  /** `--tmpfs /run:size=64m` → `{ '/run': 'size=64m' }`. */
  tmpfs?: Record<string, string>;
  /** Bytes; default 64 MiB. */
  shmSize?: number;
  oomScoreAdj?: number;
  /** Volumes and `-v` binds. */
  mounts?: BindMount[];
  /** Host files bound at /etc/resolv.conf, /etc/hostname, /etc/hosts (skipped when absent). */
  etcFiles?: { resolvConf?: string; hostname?: string; hosts?: string };
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: IpcMode;
  uts?: 'private' | 'host';
  /** Default `/berth`. */
  cgroupParent?: string;
  annotations?: Record<string, string>;
}

/** A device node on the host, as stat(2) sees it. */
export interface HostDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

/**
 * Everything buildSpec needs from outside its inputs, gathered once by gatherSpecFacts (or given
 * directly by tests), so that buildSpec itself is a pure function.
 */
export interface SpecFacts {
  /** Native architecture in Go/moby spelling: amd64, arm64, x86, s390x, ppc64le, riscv64 ... */
  arch: string;
  /** Kernel release, e.g. `6.18.44-fc`. */
  kernel: string;
  cgroupVersion: 1 | 2;
  /** Every capability this host can grant (known to the kernel and in berthd's bounding set). */
  capabilities: string[];
  /** Which of Docker's per-netns sysctls exist on this kernel. */
  sysctls: string[];
  /** `/sys/devices/system/cpu/cpu<N>/thermal_throttle` directories that exist (masked by moby HEAD). */
  thermalThrottlePaths: string[];
  /** tini-static (or tini) on the host, for `--init`. */
  initPath?: string;
  /** Host devices for each `--device` pathOnHost (a directory expands to every device below it). */
  devices: Record<string, HostDevice[]>;
  /** Every device under the host's /dev, for `--privileged`. */
  allDevices?: HostDevice[];
  /** The rootfs's /etc/passwd and /etc/group (undefined when the image has none). */
  passwd?: string;
  group?: string;
  /** Where the working directory leads inside the rootfs once its symlinks are followed. */
  workingDirResolved?: string;
  /** CPUs on the host (the upper bound of `--cpus`). */
  cpuCount: number;
}

// ---------------------------------------------------------------------------------------------
// Supervision

export type RuntimeName = 'runc' | 'crun';

export interface RuntimeOptions {
  /** Default runc. */
  name?: RuntimeName;
  /** The runtime binary; default found on PATH. */
  path?: string;
  /** berth's exec-root (/run/berth): runtime state in `runtime/<name>`, bundles in `containers/<id>`. */
  execRoot: string;
}

/** Where one container's files live in the exec-root (conmon creates attach, ctl, winsz, exit, oom). */
export interface ContainerPaths {
  bundle: string;
  config: string;
  attach: string;
  ctl: string;
  pidFile: string;
  conmonPidFile: string;
  /** conmon's persist-dir copy of the exit status (`-0 <bundle>`). */
  exitFile: string;
  /** Created by conmon when the container was OOM-killed. */
  oomFile: string;
  /** JSON log of the OCI runtime called by conmon (its errors). */
  runtimeLog: string;
  /** The global exit file `<exec-root>/exits/<id>` that the exit watcher sees. */
  exitDirFile: string;
}

export interface CreateOptions {
  id: string;
  /** Human name for conmon's `-n` (default the id). */
  name?: string;
  spec: OciSpec;
  /** k8s-file log written by conmon. */
  logPath: string;
  /** conmon's own `--log-size-max` (it truncates; berth's rotation is `LogRotator`). */
  logSizeMax?: number;
  /** `-i`: keep a stdin pipe that attach clients write to. */
  stdin?: boolean;
  /**
   * Docker's StdinOnce: the first attach client's disconnect closes the container's stdin.
   * Ignored with a tty, whose stdin always stays open (so `docker attach` works after a detach).
   */
  stdinOnce?: boolean;
  /** Run when the container exits, even with berthd down (e.g. a cleanup entry point). */
  exitCommand?: { path: string; args?: string[] };
}

export interface Created {
  /** The container's init process on the host. */
  pid: number;
  /** The conmon that supervises it (not a child of berthd). */
  conmonPid: number;
}

export interface ExitInfo {
  /** Docker's exit code: the process's own, or 128+N after signal N. */
  exitCode: number;
  /** When conmon recorded the exit, ns since the epoch (the exit file's mtime). */
  finishedAtNs: bigint;
  oomKilled: boolean;
}

export type StreamName = 'stdout' | 'stderr';

export interface AttachFrame {
  stream: StreamName;
  data: Buffer;
}

/** What the daemon can learn about a container after a restart, from disk and the runtime alone. */
export interface RecoveredContainer {
  id: string;
  /** conmon still runs (pid file + /proc/<pid>/cmdline naming this container). */
  conmonAlive: boolean;
  conmonPid?: number;
  /** The runtime's view; undefined when it no longer knows the container. */
  state?: OciState;
  /** Present once the container has exited. */
  exit?: ExitInfo;
}

export interface ExecOptions {
  /** Unique per exec; its files live in `<bundle>/exec/<execId>/`. */
  execId: string;
  process: OciProcess;
  /** Attach the caller to the exec's stdio (false for `exec -d`). */
  attach: boolean;
  /** `-i`. */
  stdin?: boolean;
}

export interface LogEntry {
  stream: StreamName;
  /** ns since the epoch. */
  timeNs: bigint;
  /** The line with its newline (a partial last line has none); raw bytes for a tty. */
  data: Buffer;
}

export interface LogReadOptions {
  /** Last N entries (before since/until filtering, as Docker's json-file does); undefined = all. */
  tail?: number;
  /** Entries at or after this time (ns). */
  sinceNs?: bigint;
  /** Entries at or before this time (ns). */
  untilNs?: bigint;
  /** Keep reading new entries until `stopped` resolves (the container exited), across rotations. */
  follow?: boolean;
  stopped?: Promise<unknown>;
  /** Abort a follow early (client went away). */
  signal?: AbortSignal;
}
