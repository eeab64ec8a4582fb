/**
 * Shared pieces of the engine benchmarks: a berthd on private directories, a dockerd when one
 * is installed (on its own socket and data-root, without iptables or a bridge), timing and
 * medians. Everything started here is stopped by `stopAll`.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { waitForSocket } from '../../test/helpers/daemon.js';

export const REPO = new URL('../../..', import.meta.url).pathname.replace(/\/$/, '');
export const BERTH = join(REPO, 'bin', 'berth');
export const BERTHD = join(REPO, 'bin', 'berthd');

const cleanups: Array<() => void> = [];

export function stopAll(): void {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      c();
    } catch {
      // best effort
    }
  }
}
process.on('exit', stopAll);
process.on('SIGINT', () => {
  stopAll();
  process.exit(130);
});

function stopProcess(p: ChildProcess): void {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGTERM');
  spawnSync('sh', ['-c', `for i in $(seq 50); do kill -0 ${p.pid} 2>/dev/null || exit 0; sleep 0.1; done; kill -9 ${p.pid}`]);
}

export interface Daemon {
  host: string;
  socket: string;
  pid: number;
  dir: string;
}

/** A berthd on a fresh data-root under `base` (default /var/tmp, a real disk). */
export async function startBerthd(base = '/var/tmp', extraArgs: string[] = []): Promise<Daemon> {
  const dir = mkdtempSync(join(base, 'bb-'));
  const socket = join(dir, 'run', 'berth.sock');
  const p = spawn(BERTHD, ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'run'), '-H', `unix://${socket}`, '--log-level', 'warn', ...extraArgs], { stdio: 'ignore' });
  cleanups.push(() => {
    // Containers are conmon's, not berthd's: remove them before the daemon goes.
    spawnSync('sh', ['-c', `ids=$(${BERTH} -H unix://${socket} ps -aq); [ -z "$ids" ] || ${BERTH} -H unix://${socket} rm -f $ids`], { stdio: 'ignore' });
    stopProcess(p);
    spawnSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
    rmSync(dir, { recursive: true, force: true });
  });
  await waitForSocket(socket, p);
  return { host: `unix://${socket}`, socket, pid: p.pid ?? 0, dir };
}

/** A dockerd for comparison, when the docker.io package is installed; undefined otherwise. */
export async function startDockerd(base = '/var/tmp'): Promise<Daemon | undefined> {
  if (!existsSync('/usr/sbin/dockerd') && !existsSync('/usr/bin/dockerd')) return undefined;
  const dir = mkdtempSync(join(base, 'bd-docker-'));
  const socket = join(dir, 'docker.sock');
  const p = spawn(
    'dockerd',
    ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'docker.pid'), '-H', `unix://${socket}`, '--iptables=false', '--ip6tables=false', '--bridge=none', '--containerd-namespace', 'bench', '--log-level', 'error'],
    { stdio: 'ignore' },
  );
  cleanups.push(() => {
    stopProcess(p);
    spawnSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    await waitForSocket(socket, p);
  } catch {
    return undefined;
  }
  return { host: `unix://${socket}`, socket, pid: p.pid ?? 0, dir };
}

/** Import the offline busybox image into a daemon (berth or docker) as busybox:latest. */
export function importBusybox(host: string, client: 'berth' | 'docker' = 'berth'): void {
  const tar = execFileSync('bash', [join(REPO, 'scripts', 'busybox-rootfs.sh')], { maxBuffer: 64 << 20 });
  if (client === 'berth') execFileSync(BERTH, ['-H', host, 'import', '-', 'busybox:latest'], { input: tar });
  else execFileSync('docker', ['import', '-', 'busybox:latest'], { input: tar, env: { ...process.env, DOCKER_HOST: host } });
}

/** Wall-clock seconds of one run of a command (must exit 0). */
export function timeCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: Buffer): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, input, stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString()}`);
  return t;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Resident memory of a process in MB. */
export function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Resident memory of a process and all its descendants (dockerd + containerd + shims), in MB. */
export function treeRssMB(rootPids: number[]): number {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=']).toString();
  const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of rows) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const rss = new Map(rows.map(([pid, , r]) => [pid, r]));
  let total = 0;
  const stack = [...rootPids];
  const seen = new Set<number>();
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    total += rss.get(p) ?? 0;
    stack.push(...(children.get(p) ?? []));
  }
  return total / 1024;
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |').join('\n');
}
