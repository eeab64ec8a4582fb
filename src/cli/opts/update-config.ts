/** The `POST /containers/{id}/update` body of `berth update`, as docker's UpdateConfig JSON. */
import { ExitError } from '../context.js';
import type { ParsedFlags } from '../flags/parse.js';
import { parseRestartPolicy } from './container-config.js';

export function updateBody(f: ParsedFlags): Record<string, unknown> {
  const given = ['blkio-weight', 'cpu-period', 'cpu-quota', 'cpu-rt-period', 'cpu-rt-runtime', 'cpuset-cpus', 'cpuset-mems', 'cpu-shares', 'memory', 'memory-reservation', 'memory-swap', 'kernel-memory', 'restart', 'pids-limit', 'cpus'];
  if (!given.some((n) => f.changed(n))) throw new ExitError(1, 'you must provide one or more flags when using this command');
  let restart = { Name: '', MaximumRetryCount: 0 };
  if (f.str('restart') !== '') {
    try {
      restart = parseRestartPolicy(f.str('restart'));
    } catch (e) {
      throw new ExitError(1, (e as Error).message);
    }
  }
  return {
    CpuShares: f.num('cpu-shares'),
    Memory: f.num('memory'),
    NanoCpus: f.num('cpus'),
    CgroupParent: '',
    BlkioWeight: f.num('blkio-weight'),
    BlkioWeightDevice: null,
    BlkioDeviceReadBps: null,
    BlkioDeviceWriteBps: null,
    BlkioDeviceReadIOps: null,
    BlkioDeviceWriteIOps: null,
    CpuPeriod: f.num('cpu-period'),
    CpuQuota: f.num('cpu-quota'),
    CpuRealtimePeriod: f.num('cpu-rt-period'),
    CpuRealtimeRuntime: f.num('cpu-rt-runtime'),
    CpusetCpus: f.str('cpuset-cpus'),
    CpusetMems: f.str('cpuset-mems'),
    Devices: null,
    DeviceCgroupRules: null,
    DeviceRequests: null,
    ...(f.num('kernel-memory') ? { KernelMemory: f.num('kernel-memory') } : {}),
    MemoryReservation: f.num('memory-reservation'),
    MemorySwap: f.num('memory-swap'),
    MemorySwappiness: null,
    OomKillDisable: null,
    PidsLimit: f.num('pids-limit') !== 0 ? f.num('pids-limit') : null,
    Ulimits: null,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    RestartPolicy: restart,
  };
}
