/**
 * Scale: berthd's memory with 100 containers running (idle, per container), and `berth ps -a`
 * with 1000 containers against `berth version` (the floor: one round trip), median of 10.
 *
 *   node dist/bench/engine/scale.js [--running 100] [--total 1000]
 */
import { spawnSync } from 'node:child_process';
import { BERTH, importBusybox, median, rssMB, startBerthd, stopAll, table, timeCommand } from './harness.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const running = arg('--running', 100);
const total = arg('--total', 1000);

function berth(host: string, args: string[]): string {
  const r = spawnSync(BERTH, ['-H', host, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`berth ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function main(): Promise<void> {
  const d = await startBerthd();
  importBusybox(d.host);
  // berthd trims its memory 3 s after the last request: measure idle after that.
  await new Promise((r) => setTimeout(r, 4000));
  const idle = rssMB(d.pid);
  for (let i = 0; i < running; i++) berth(d.host, ['run', '-d', 'busybox', 'sleep', '100000']);
  await new Promise((r) => setTimeout(r, 4000));
  const withRunning = rssMB(d.pid);
  for (let i = running; i < total; i++) berth(d.host, ['create', 'busybox', 'true']);
  const count = berth(d.host, ['ps', '-aq']).trim().split('\n').length;
  const ps: number[] = [];
  const version: number[] = [];
  for (let i = 0; i < 10; i++) {
    version.push(timeCommand(BERTH, ['-H', d.host, 'version']));
    ps.push(timeCommand(BERTH, ['-H', d.host, 'ps', '-a']));
  }
  const withAll = rssMB(d.pid);
  stopAll();
  console.log(`\n${new Date().toISOString()}\n`);
  console.log(
    table([
      ['measure', 'value', 'goal'],
      ['berthd RSS idle (busybox imported)', `${idle.toFixed(1)} MB`, '≤ 64 MB'],
      [`berthd RSS with ${running} containers running`, `${withRunning.toFixed(1)} MB`, ''],
      ['per running container', `${(((withRunning - idle) * 1024) / running).toFixed(0)} kB`, '< 1 MB'],
      [`berthd RSS with ${count} containers`, `${withAll.toFixed(1)} MB`, ''],
      ['berth version (median of 10)', `${median(version).toFixed(3)} s`, ''],
      [`berth ps -a, ${count} containers (median of 10)`, `${median(ps).toFixed(3)} s`, ''],
      ['ps / version', `${(median(ps) / median(version)).toFixed(2)}x`, '≤ 1.3x'],
    ]),
  );
}

await main();
