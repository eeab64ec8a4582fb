/**
 * Container resource statistics in the shape of runc's `events --stats` data (what `docker
 * stats` needs: cpu, memory, pids, blkio), and a reader that fills that shape from the cgroup
 * files directly (crun has no `events`; also cheaper than a process per sample).
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface RuntimeStats {
  cpu?: { usage?: { total?: number; percpu?: number[]; kernel?: number; user?: number }; throttling?: { periods?: number; throttled_periods?: number; throttled_time?: number } };
  memory?: { cache?: number; usage?: { usage?: number; limit?: number; max?: number; failcnt?: number }; raw?: Record<string, number> };
  pids?: { current?: number; limit?: number };
  blkio?: { ioServiceBytesRecursive?: BlkioEntry[]; ioServicedRecursive?: BlkioEntry[] };
}

const CGROUP_ROOT = '/sys/fs/cgroup';

async function readText(file: string): Promise<string | undefined> {
  return fsp.readFile(file, 'utf8').then((t) => t.trim(), () => undefined);
}

async function readNumber(file: string): Promise<number | undefined> {
  const t = await readText(file);
  if (t === undefined || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function keyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}

function blkio(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3], value: Number(m[4]) });
  }
  return out;
}

/** Read the statistics of the cgroup `cgroupsPath` (as in config.json), v1 or v2. */
export async function readCgroupStats(cgroupsPath: string): Promise<RuntimeStats> {
  const rel = cgroupsPath.replace(/^\/+/, '');
  const unifiedOnly = await readText(path.join(CGROUP_ROOT, 'cgroup.controllers')) !== undefined;
  if (unifiedOnly) {
    const dir = path.join(CGROUP_ROOT, rel);
    const cpu = keyValues(await readText(path.join(dir, 'cpu.stat')));
    return {
      cpu: { usage: { total: (cpu.usage_usec ?? 0) * 1000, kernel: (cpu.system_usec ?? 0) * 1000, user: (cpu.user_usec ?? 0) * 1000 } },
      memory: { usage: { usage: await readNumber(path.join(dir, 'memory.current')), limit: await readNumber(path.join(dir, 'memory.max')) }, raw: keyValues(await readText(path.join(dir, 'memory.stat'))) },
      pids: { current: await readNumber(path.join(dir, 'pids.current')), limit: await readNumber(path.join(dir, 'pids.max')) },
    };
  }
  const at = (ctrl: string, file: string) => path.join(CGROUP_ROOT, ctrl, rel, file);
  const percpu = (await readText(at('cpuacct', 'cpuacct.usage_percpu')))?.split(/\s+/).map(Number) ?? [];
  const raw = keyValues(await readText(at('memory', 'memory.stat')));
  return {
    cpu: {
      usage: { total: await readNumber(at('cpuacct', 'cpuacct.usage')), percpu, ...cpuUserSystem(keyValues(await readText(at('cpuacct', 'cpuacct.stat')))) },
      throttling: (({ nr_periods, nr_throttled, throttled_time }) => ({ periods: nr_periods, throttled_periods: nr_throttled, throttled_time }))(keyValues(await readText(at('cpu', 'cpu.stat')))),
    },
    memory: {
      cache: raw.cache,
      usage: {
        usage: await readNumber(at('memory', 'memory.usage_in_bytes')),
        limit: await readNumber(at('memory', 'memory.limit_in_bytes')),
        max: await readNumber(at('memory', 'memory.max_usage_in_bytes')),
        failcnt: await readNumber(at('memory', 'memory.failcnt')),
      },
      raw,
    },
    pids: { current: await readNumber(at('pids', 'pids.current')), limit: await readNumber(at('pids', 'pids.max')) },
    blkio: {
      ioServiceBytesRecursive: blkio(await readText(at('blkio', 'blkio.throttle.io_service_bytes_recursive'))),
      ioServicedRecursive: blkio(await readText(at('blkio', 'blkio.throttle.io_serviced_recursive'))),
    },
  };
}

/** cpuacct.stat counts USER_HZ ticks (100 per second); runc reports ns. */
function cpuUserSystem(stat: Record<string, number>): { kernel?: number; user?: number } {
  const tick = 10_000_000;
  return { kernel: stat.system !== undefined ? stat.system * tick : undefined, user: stat.user !== undefined ? stat.user * tick : undefined };
}
