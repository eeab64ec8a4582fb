/**
 * Resource limits with Docker's names, checks and messages: `--memory`, `--memory-swap`,
 * `--memory-reservation`, `--cpus` (NanoCpus → CFS quota/period), `--cpu-shares`,
 * `--cpu-period/--cpu-quota`, `--cpuset-*`, `--pids-limit`.
 */
import { invalid } from '../core/errors.js';
import type { SpecOptions } from './contract.js';
import { hostCgroupVersion } from './facts.js';
import type { OciResources } from './oci-config.js';

/** Docker's minimum `--memory` (linuxMinMemory in moby HEAD is 6 MiB). */
export const MIN_MEMORY = 6 * 1024 * 1024;
const CFS_PERIOD = 100_000;

/**
 * The MemorySwap Docker records when only `--memory` is given (twice the memory), for the service
 * to store in HostConfig at create; buildSpec itself takes the values as given.
 */
export function defaultMemorySwap(memory: number | undefined, memorySwap: number | undefined): number | undefined {
  if (memory && memory > 0 && (memorySwap === undefined || memorySwap === 0)) return memory * 2;
  return memorySwap;
}

/** The options buildResources reads (what `docker update` can change as well). */
export type ResourceOptions = Pick<SpecOptions, 'memory' | 'memorySwap' | 'memoryReservation' | 'memorySwappiness' | 'oomKillDisable' | 'nanoCpus' | 'cpuShares' | 'cpuPeriod' | 'cpuQuota' | 'cpusetCpus' | 'cpusetMems' | 'pidsLimit'>;

/**
 * `cgroupVersion`: swappiness and the OOM-killer switch exist on cgroup v1 only; on v2 they are
 * dropped (as dockerd does) rather than handed to a runtime that would refuse them.
 */
export function buildResources(o: ResourceOptions, cpuCount: number, cgroupVersion: 1 | 2 = hostCgroupVersion()): Omit<OciResources, 'devices'> {
  const r: Omit<OciResources, 'devices'> = {};
  const memory = o.memory ?? 0;
  const swap = o.memorySwap ?? 0;
  if (memory < 0) throw invalid('ERR_MEMORY', 'invalid memory limit: it must be a positive number');
  if (memory > 0 && memory < MIN_MEMORY) throw invalid('ERR_MEMORY', 'Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap > 0 && swap < memory) {
    throw invalid('ERR_MEMORY_SWAP', 'Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (memory === 0 && swap > 0) throw invalid('ERR_MEMORY_SWAP', 'You should always set the Memory limit when using Memoryswap limit, see usage');
  const reservation = o.memoryReservation ?? 0;
  if (reservation < 0) throw invalid('ERR_MEMORY', 'invalid memory reservation: it must be a positive number');
  if (memory > 0 && reservation > memory) {
    throw invalid('ERR_MEMORY', 'Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  const swappiness = o.memorySwappiness;
  if (swappiness !== undefined && (!Number.isInteger(swappiness) || swappiness < 0 || swappiness > 100)) {
    throw invalid('ERR_MEMORY_SWAPPINESS', `Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  if (memory > 0 || swap !== 0 || reservation > 0 || swappiness !== undefined || o.oomKillDisable) {
    r.memory = {};
    if (memory > 0) r.memory.limit = memory;
    if (reservation > 0) r.memory.reservation = reservation;
    if (swap !== 0) r.memory.swap = swap;
    if (swappiness !== undefined && cgroupVersion === 1) r.memory.swappiness = swappiness;
    if (o.oomKillDisable && cgroupVersion === 1) r.memory.disableOOMKiller = true;
  }

  const cpu: NonNullable<OciResources['cpu']> = {};
  const nano = o.nanoCpus ?? 0;
  if (nano !== 0) {
    if (o.cpuPeriod) throw invalid('ERR_CPUS', 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
    if (o.cpuQuota) throw invalid('ERR_CPUS', 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    if (nano < 0 || nano > cpuCount * 1e9) {
      throw invalid('ERR_CPUS', `Range of CPUs is from 0.01 to ${cpuCount}.00, as there are only ${cpuCount} CPUs available`);
    }
    cpu.period = CFS_PERIOD;
    cpu.quota = Math.floor((nano * CFS_PERIOD) / 1e9);
  }
  if (o.cpuPeriod) {
    if (o.cpuPeriod < 1000 || o.cpuPeriod > 1_000_000) throw invalid('ERR_CPUS', 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    cpu.period = o.cpuPeriod;
  }
  if (o.cpuQuota) {
    if (o.cpuQuota > 0 && o.cpuQuota < 1000) throw invalid('ERR_CPUS', 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
    cpu.quota = o.cpuQuota;
  }
  if (o.cpuShares) {
    if (o.cpuShares < 0) throw invalid('ERR_CPU_SHARES', 'shares: invalid argument');
    cpu.shares = o.cpuShares;
  }
  if (o.cpusetCpus) cpu.cpus = o.cpusetCpus;
  if (o.cpusetMems) cpu.mems = o.cpusetMems;
  if (Object.keys(cpu).length > 0) r.cpu = cpu;

  // The API allows 0 and negatives to mean "unlimited"; runc needs -1 for that.
  if (o.pidsLimit !== undefined) r.pids = { limit: o.pidsLimit > 0 ? o.pidsLimit : -1 };
  return r;
}
