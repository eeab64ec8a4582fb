/**
 * `berth stats` rows from `GET /containers/{id}/stats`: docker's CPU % (container delta over
 * system delta times online CPUs), memory without inactive file cache, summed network and block
 * I/O, and the same field names and units.
 */
import { bytesSize, humanSize } from '../../core/humanize.js';

export interface StatsResponse {
  name?: string;
  id?: string;
  pids_stats?: { current?: number };
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op: string; value: number }> | null };
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }> | null;
}

export interface StatsEntry {
  container: string;
  name: string;
  id: string;
  cpu: number;
  memory: number;
  memoryLimit: number;
  memoryPercent: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
  invalid: boolean;
}

export function statsEntry(container: string, v: StatsResponse): StatsEntry {
  const cur = v.cpu_stats ?? {};
  const pre = v.precpu_stats ?? {};
  const cpuDelta = (cur.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cur.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const online = cur.online_cpus || (cur.cpu_usage?.percpu_usage?.length ?? 0);
  const cpu = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
  const mem = v.memory_stats ?? {};
  const usage = mem.usage ?? 0;
  const stats = mem.stats ?? {};
  let memory = usage;
  if ('total_inactive_file' in stats && stats.total_inactive_file < usage) memory = usage - stats.total_inactive_file;
  else if ((stats.inactive_file ?? 0) < usage) memory = usage - (stats.inactive_file ?? 0);
  const limit = mem.limit ?? 0;
  let netRx = 0;
  let netTx = 0;
  for (const n of Object.values(v.networks ?? {})) {
    netRx += n.rx_bytes;
    netTx += n.tx_bytes;
  }
  let blockRead = 0;
  let blockWrite = 0;
  for (const e of v.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (/^[rR]/.test(e.op)) blockRead += e.value;
    else if (/^[wW]/.test(e.op)) blockWrite += e.value;
  }
  return {
    container,
    name: v.name ?? '',
    id: v.id ?? '',
    cpu,
    memory,
    memoryLimit: limit,
    memoryPercent: limit !== 0 ? (memory / limit) * 100 : 0,
    netRx,
    netTx,
    blockRead,
    blockWrite,
    pids: v.pids_stats?.current ?? 0,
    invalid: false,
  };
}

export const STATS_TITLES: Record<string, string> = {
  Container: 'CONTAINER',
  Name: 'NAME',
  ID: 'CONTAINER ID',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

export const DEFAULT_STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

const percent = (v: number) => `${v.toFixed(2)}%`;

/** The row docker's statsContext renders (alphabetical keys, as its JSON prints them). */
export function statsRow(s: StatsEntry, trunc: boolean): Record<string, string> {
  return {
    BlockIO: s.invalid ? '--' : `${humanSize(s.blockRead, 3)} / ${humanSize(s.blockWrite, 3)}`,
    CPUPerc: s.invalid ? '--' : percent(s.cpu),
    Container: s.container,
    ID: trunc ? s.id.replace(/^sha256:/, '').slice(0, 12) : s.id,
    MemPerc: s.invalid ? '--' : percent(s.memoryPercent),
    MemUsage: s.invalid ? '-- / --' : `${bytesSize(s.memory)} / ${bytesSize(s.memoryLimit)}`,
    Name: s.name.length > 1 ? s.name.slice(1) : '--',
    NetIO: s.invalid ? '--' : `${humanSize(s.netRx, 3)} / ${humanSize(s.netTx, 3)}`,
    PIDs: s.invalid ? '--' : String(s.pids),
  };
}
