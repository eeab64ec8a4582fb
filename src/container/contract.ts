/**
 * The container domain's contract: a container's persisted record (what `docker inspect` shows
 * is derived from it), its state machine, and the Docker create request it is made from.
 */
import type { Digest } from '../core/digest.js';
import type { ContainerConfig } from '../image/oci.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  error: string;
  oomKilled: boolean;
  /** RFC 3339 with nanoseconds; ZERO_TIME when never. */
  startedAt: string;
  finishedAt: string;
  /** Set by an explicit stop/kill; unless-stopped and restart-on-daemon-start honour it. */
  manuallyStopped: boolean;
  restartCount: number;
  /** The conmon supervising the current run (for live restore). */
  conmonPid?: number;
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'on-failure' | 'unless-stopped';
  MaximumRetryCount: number;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

/** An entry of HostConfig.Mounts (`--mount`). */
export interface HostMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
}

/** The HostConfig fields berth acts on (the rest of Docker's HostConfig is kept as given). */
export interface HostConfig {
  Binds?: string[] | null;
  Mounts?: HostMount[] | null;
  NetworkMode?: string;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode?: string;
  PidMode?: string;
  UTSMode?: string;
  CgroupnsMode?: string;
  OomScoreAdj?: number;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  ShmSize?: number;
  Runtime?: string;
  ConsoleSize?: [number, number];
  CpuShares?: number;
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  Devices?: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  Ulimits?: Ulimit[] | null;
  Tmpfs?: Record<string, string> | null;
  Sysctls?: Record<string, string> | null;
  Init?: boolean | null;
  OomKillDisable?: boolean | null;
  LogConfig?: { Type: string; Config: Record<string, string> };
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
  MemorySwappiness?: number | null;
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  [key: string]: unknown;
}

/** The body of POST /containers/create. */
export interface CreateRequest extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: unknown;
  [key: string]: unknown;
}

export interface ContainerRecord {
  id: string;
  /** With the leading slash, as Docker stores it. */
  name: string;
  created: string;
  /** The process: entrypoint + cmd resolved at create time. */
  path: string;
  args: string[];
  /** The container config (image config merged with the request). */
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** The image ID the container was created from. */
  image: Digest;
  /** ChainID of the image's top layer (the writable snapshot's parent), if any. */
  imageChainId?: Digest;
  state: ContainerState;
  logPath: string;
  driver: string;
  /**
   * HostConfig.CgroupnsMode is what the container gets. Records made before berthd applied it
   * hold 'host' whatever was asked, and ran with a private cgroup namespace on cgroup v2.
   */
  cgroupnsApplied?: true;
}

/** A container event as `docker events` shows it. */
export interface EngineEvent {
  Type: 'container' | 'image' | 'network' | 'volume' | 'daemon';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  /** ns since the epoch (beyond Number's precision: serialise with eventJson). */
  timeNano: bigint;
  /** Legacy fields (API < 1.22 readers still look at them). */
  status?: string;
  id?: string;
  from?: string;
}
