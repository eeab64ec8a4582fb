/**
 * `berth import` of a ~200 MB rootfs tar (plain and gzip) through a running berthd, against GNU
 * `tar -x` of the same file in the same run, plus berthd's resident memory when idle.
 *
 *   node dist/bench/engine/import.js [--runs 5]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { ensureRootfs } from '../import/rootfs.js';
import { BERTH, median, rssMB, startBerthd, stopAll, table, timeCommand } from './harness.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 5) || 5;

async function main(): Promise<void> {
  const rootfs = await ensureRootfs();
  const berthd = await startBerthd();
  // Idle: after start-up, before any work.
  await new Promise((r) => setTimeout(r, 1500));
  const idle = rssMB(berthd.pid);
  const rows = [['import of the rootfs', 'size', 'GNU tar -x', 'berth import', 'berth MB/s', 'speed vs GNU tar']];
  for (const [label, file, tarFlags] of [
    ['plain tar', rootfs.tar, '-xf'],
    ['gzip', rootfs.gz, '-xzf'],
  ] as const) {
    const size = statSync(file).size;
    const tarTimes: number[] = [];
    const berthTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
      const dir = mkdtempSync('/var/tmp/bb-tar-');
      tarTimes.push(timeCommand('tar', [tarFlags, file, '-C', dir]));
      rmSync(dir, { recursive: true, force: true });
      berthTimes.push(timeCommand(BERTH, ['-H', berthd.host, 'import', file, `bench/import:${i}`]));
      timeCommand(BERTH, ['-H', berthd.host, 'rmi', `bench/import:${i}`]);
    }
    const t = median(tarTimes);
    const b = median(berthTimes);
    rows.push([label, `${(size / 1e6).toFixed(0)} MB`, `${t.toFixed(2)} s`, `${b.toFixed(2)} s`, `${(size / 1e6 / b).toFixed(0)}`, `${(t / b).toFixed(2)}x`]);
    process.stderr.write(`${label}: tar ${tarTimes.map((x) => x.toFixed(2)).join('/')} berth ${berthTimes.map((x) => x.toFixed(2)).join('/')}\n`);
  }
  const afterWork = rssMB(berthd.pid);
  stopAll();
  console.log(`\nrootfs: ${rootfs.source}; median of ${runs} alternating runs; ${new Date().toISOString()}\n`);
  console.log(table(rows));
  console.log(`\nberthd resident memory: ${idle.toFixed(1)} MB idle after start, ${afterWork.toFixed(1)} MB after the imports (goal: 64 MB)`);
}

await main();
