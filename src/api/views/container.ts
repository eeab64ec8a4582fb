/** Docker Engine API JSON shapes of containers (GET /containers/json and /containers/{id}/json). */
import * as path from 'node:path';
import type { ContainerRecord } from '../../container/contract.js';
import { statusText } from '../../container/status.js';
import { ZERO_TIME } from '../../core/humanize.js';
import { fullContainerConfig } from './image.js';

export interface ContainerPaths {
  /** `<data-root>/containers/<id>` */
  dir: string;
  /** Upper/work/merged directories and lowers, as GraphDriver.Data shows them. */
  graphDriver: Record<string, string>;
}

function quoteCommand(rec: ContainerRecord): string {
  // Docker joins path and args with spaces, without quoting.
  return [rec.path, ...rec.args].join(' ');
}

/** The network settings of a container without networking (berth's containers have only loopback for now). */
function networkSettings(rec: ContainerRecord): Record<string, unknown> {
  const mode = rec.hostConfig.NetworkMode === 'host' ? 'host' : 'none';
  return {
    Bridge: '',
    SandboxID: '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: {},
    SandboxKey: '',
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: '',
    Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    MacAddress: '',
    Networks: {
      [mode]: {
        IPAMConfig: null,
        Links: null,
        Aliases: null,
        NetworkID: '',
        EndpointID: '',
        Gateway: '',
        IPAddress: '',
        IPPrefixLen: 0,
        IPv6Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        MacAddress: '',
        DriverOpts: null,
      },
    },
  };
}

export function containerSummary(rec: ContainerRecord, imageName: string, sizes?: { rw: number; rootFs: number }): Record<string, unknown> {
  const settings = networkSettings(rec);
  return {
    Id: rec.id,
    Names: [rec.name],
    Image: imageName,
    ImageID: rec.image,
    Command: quoteCommand(rec),
    Created: Math.floor(Date.parse(rec.created) / 1000),
    Ports: [],
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Labels: rec.config.Labels ?? {},
    State: rec.state.status,
    Status: statusText(rec.state),
    HostConfig: { NetworkMode: rec.hostConfig.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: settings.Networks },
    Mounts: [],
  };
}

export function containerInspect(rec: ContainerRecord, paths: ContainerPaths, execIds: string[], sizes?: { rw: number; rootFs: number }): Record<string, unknown> {
  const s = rec.state;
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.path,
    Args: rec.args,
    State: {
      Status: s.status,
      Running: s.status === 'running' || s.status === 'paused' || s.status === 'restarting',
      Paused: s.status === 'paused',
      Restarting: s.status === 'restarting',
      OOMKilled: s.oomKilled,
      Dead: s.status === 'dead',
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt || ZERO_TIME,
      FinishedAt: s.finishedAt || ZERO_TIME,
    },
    Image: rec.image,
    ResolvConfPath: path.join(paths.dir, 'resolv.conf'),
    HostnamePath: path.join(paths.dir, 'hostname'),
    HostsPath: path.join(paths.dir, 'hosts'),
    LogPath: rec.logPath,
    Name: rec.name,
    RestartCount: s.restartCount,
    Driver: rec.driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execIds.length ? execIds : null,
    HostConfig: rec.hostConfig,
    GraphDriver: { Data: paths.graphDriver, Name: rec.driver },
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Mounts: [],
    Config: fullContainerConfig(rec.config),
    NetworkSettings: networkSettings(rec),
  };
}
