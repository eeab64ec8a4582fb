/**
 * `docker stats`: samples of a container's cgroup counters in the Engine API's stats shape
 * (cpu_stats/precpu_stats, memory_stats, pids_stats, blkio_stats), with the host's cumulative
 * CPU time so clients can compute a percentage between two samples.
 */
import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import { readCgroupStats, type BlkioEntry, type RuntimeStats } from '../runtime/stats.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';
const NS_PER_TICK = 1e9 / 100; // /proc/stat counts USER_HZ (100) ticks

/** Total CPU time of the host in ns since boot (Docker's system_cpu_usage). */
async function systemCpuUsage(): Promise<number> {
  const stat = await readFile('/proc/stat', 'utf8');
  const cpu = stat.split('\n')[0].split(/\s+/).slice(1, 8).map(Number);
  return cpu.reduce((a, b) => a + b, 0) * NS_PER_TICK;
}

export interface StatsSample {
  read: string;
  stats: RuntimeStats;
  system: number;
}

export async function sample(cgroupsPath: string | undefined): Promise<StatsSample> {
  const stats = cgroupsPath ? await readCgroupStats(cgroupsPath).catch(() => ({}) as RuntimeStats) : ({} as RuntimeStats);
  return { read: new Date().toISOString(), stats, system: await systemCpuUsage() };
}

function blkio(entries: BlkioEntry[] | undefined): Array<{ major: number; minor: number; op: string; value: number }> | null {
  if (!entries?.length) return null;
  return entries.map((e) => ({ major: e.major, minor: e.minor, op: e.op.charAt(0).toUpperCase() + e.op.slice(1).toLowerCase(), value: e.value }));
}

function cpuStats(s: StatsSample | undefined): Record<string, unknown> {
  const cpu = s?.stats.cpu;
  return {
    cpu_usage: {
      total_usage: cpu?.usage?.total ?? 0,
      ...(cpu?.usage?.percpu?.length ? { percpu_usage: cpu.usage.percpu } : {}),
      usage_in_kernelmode: cpu?.usage?.kernel ?? 0,
      usage_in_usermode: cpu?.usage?.user ?? 0,
    },
    ...(s ? { system_cpu_usage: s.system, online_cpus: os.cpus().length } : {}),
    throttling_data: {
      periods: cpu?.throttling?.periods ?? 0,
      throttled_periods: cpu?.throttling?.throttled_periods ?? 0,
      throttled_time: cpu?.throttling?.throttled_time ?? 0,
    },
  };
}

/** One stats object as GET /containers/{id}/stats writes it. */
export function statsJson(id: string, name: string, cur: StatsSample | undefined, prev: StatsSample | undefined): Record<string, unknown> {
  const mem = cur?.stats.memory;
  const limit = mem?.usage?.limit;
  return {
    read: cur?.read ?? ZERO_TIME,
    preread: prev?.read ?? ZERO_TIME,
    pids_stats: cur?.stats.pids?.current !== undefined ? { current: cur.stats.pids.current, ...(cur.stats.pids.limit ? { limit: cur.stats.pids.limit } : {}) } : {},
    blkio_stats: {
      io_service_bytes_recursive: blkio(cur?.stats.blkio?.ioServiceBytesRecursive),
      io_serviced_recursive: blkio(cur?.stats.blkio?.ioServicedRecursive),
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur),
    precpu_stats: cpuStats(prev),
    memory_stats: cur
      ? {
          usage: mem?.usage?.usage ?? 0,
          ...(mem?.usage?.max !== undefined ? { max_usage: mem.usage.max } : {}),
          stats: mem?.raw ?? {},
          ...(mem?.usage?.failcnt !== undefined ? { failcnt: mem.usage.failcnt } : {}),
          // An unlimited cgroup v1 reports a huge number; Docker shows the host's memory instead.
          limit: limit !== undefined && limit < os.totalmem() ? limit : os.totalmem(),
        }
      : {},
    name,
    id,
  };
}
