/**
 * `berth import` of a ~200 MB rootfs tar (plain and gzip) through a running berthd, against GNU
 * `tar -x` of the same file in the same run, plus berthd's resident memory when idle.
 *
 *   node dist/bench/engine/import.js [--runs 5] [--fs ext4|tmpfs|var-tmp]
 *
 * Both sides write to the same filesystem: by default a fresh ext4 made for the run on a loop
 * device (a real disk filesystem, without the erratic inode allocation that /var/tmp shows
 * on this VM after large deletions); `tmpfs` makes it CPU-bound; `var-tmp` uses /var/tmp as is.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { ensureRootfs } from '../import/rootfs.js';
import { BERTH, median, rssMB, startBerthd, startDockerd, stopAll, table, timeCommand } from './harness.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 5) || 5;

const fsKind = process.argv.includes('--fs') ? process.argv[process.argv.indexOf('--fs') + 1] : 'ext4';

/** Mount a filesystem of the chosen kind for the run (removed at exit). */
function benchBase(): string {
  if (fsKind === 'var-tmp') return '/var/tmp';
  const dir = `/var/tmp/bb-${fsKind}`;
  mkdirSync(dir, { recursive: true });
  if (fsKind === 'tmpfs') {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3g', 'tmpfs', dir]);
  } else {
    const image = `/var/tmp/bb-${fsKind}.img`;
    execFileSync('truncate', ['-s', '4G', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', image]);
    execFileSync('mount', ['-o', 'loop', image, dir]);
    process.on('exit', () => rmSync(image, { force: true }));
  }
  process.on('exit', () => {
    try {
      execFileSync('umount', ['-l', dir]);
    } catch {
      // already unmounted
    }
  });
  return dir;
}

async function main(): Promise<void> {
  const rootfs = await ensureRootfs();
  const base = benchBase();
  const berthd = await startBerthd(base);
  // Idle: after start-up, before any work.
  await new Promise((r) => setTimeout(r, 4000));
  const idle = rssMB(berthd.pid);
  // The same import without the flush to disk that berthd does by default (--layer-sync=false):
  // what GNU tar -x (which does not wait for the disk either) is measured against.
  const unsynced = await startBerthd(base, ['--layer-sync=false']);
  const dockerd = await startDockerd(base);
  const rows = [['import of the rootfs', 'size', 'GNU tar -x', 'GNU tar -x + sync', 'berth import', 'berth MB/s', 'vs GNU tar', 'vs tar + sync', 'berth import, --layer-sync=false (vs GNU tar)', 'docker import → berthd (vs GNU tar)', ...(dockerd ? ['docker import (dockerd)', 'berth vs dockerd'] : [])]];
  for (const [label, file, tarFlags] of [
    ['plain tar', rootfs.tar, '-xf'],
    ['gzip', rootfs.gz, '-xzf'],
  ] as const) {
    const size = statSync(file).size;
    const tarTimes: number[] = [];
    const tarSyncTimes: number[] = [];
    const berthTimes: number[] = [];
    const unsyncedTimes: number[] = [];
    // The same daemon through the docker CLI (a Go client: fast start, cheap streaming).
    const viaDockerTimes: number[] = [];
    const viaDockerEnv = { ...process.env, DOCKER_HOST: berthd.host };
    const dockerTimes: number[] = [];
    const dockerEnv = dockerd ? { ...process.env, DOCKER_HOST: dockerd.host } : process.env;
    for (let i = 0; i < runs; i++) {
      const dir = mkdtempSync(`${base}/bb-tar-`);
      execFileSync('sync'); // no earlier run's writeback during tar's
      tarTimes.push(timeCommand('tar', [tarFlags, file, '-C', dir]));
      tarSyncTimes.push(tarTimes.at(-1)! + timeCommand('sync', []));
      rmSync(dir, { recursive: true, force: true });
      execFileSync('sync'); // the import's syncfs must not also flush tar's deletion
      berthTimes.push(timeCommand(BERTH, ['-H', berthd.host, 'import', file, `bench/import:${i}`]));
      timeCommand(BERTH, ['-H', berthd.host, 'rmi', `bench/import:${i}`]);
      execFileSync('sync'); // the unsynced import must not find the previous one's writeback
      unsyncedTimes.push(timeCommand(BERTH, ['-H', unsynced.host, 'import', file, `bench/import:${i}`]));
      timeCommand(BERTH, ['-H', unsynced.host, 'rmi', `bench/import:${i}`]);
      execFileSync('sync');
      viaDockerTimes.push(timeCommand('docker', ['import', file, `bench/import:${i}`], viaDockerEnv));
      timeCommand(BERTH, ['-H', berthd.host, 'rmi', `bench/import:${i}`]);
      if (dockerd) {
        dockerTimes.push(timeCommand('docker', ['import', file, `bench/import:${i}`], dockerEnv));
        timeCommand('docker', ['rmi', `bench/import:${i}`], dockerEnv);
      }
    }
    const t = median(tarTimes);
    const ts = median(tarSyncTimes);
    const b = median(berthTimes);
    const v = median(viaDockerTimes);
    const u = median(unsyncedTimes);
    const dk = dockerTimes.length ? median(dockerTimes) : undefined;
    rows.push([
      label,
      `${(size / 1e6).toFixed(0)} MB`,
      `${t.toFixed(2)} s`,
      `${ts.toFixed(2)} s`,
      `${b.toFixed(2)} s`,
      `${(size / 1e6 / b).toFixed(0)}`,
      `${(t / b).toFixed(2)}x`,
      `${(ts / b).toFixed(2)}x`,
      `${u.toFixed(2)} s (${(t / u).toFixed(2)}x)`,
      `${v.toFixed(2)} s (${(t / v).toFixed(2)}x)`,
      ...(dk !== undefined ? [`${dk.toFixed(2)} s`, `${(dk / b).toFixed(2)}x`] : []),
    ]);
    process.stderr.write(`${label}: tar ${tarTimes.map((x) => x.toFixed(2)).join('/')} berth ${berthTimes.map((x) => x.toFixed(2)).join('/')} unsynced ${unsyncedTimes.map((x) => x.toFixed(2)).join('/')} docker→berthd ${viaDockerTimes.map((x) => x.toFixed(2)).join('/')} docker ${dockerTimes.map((x) => x.toFixed(2)).join('/')}\n`);
  }
  // berthd trims its memory 3 s after the last request.
  await new Promise((r) => setTimeout(r, 4000));
  const afterWork = rssMB(berthd.pid);
  stopAll();
  console.log(`\nrootfs: ${rootfs.source}; target ${fsKind === 'var-tmp' ? '/var/tmp' : `a fresh ${fsKind}`}; median of ${runs} alternating runs; ${new Date().toISOString()}\n`);
  console.log(table(rows));
  console.log(`\nberthd resident memory: ${idle.toFixed(1)} MB idle after start, ${afterWork.toFixed(1)} MB after the imports (goal: 64 MB)`);
}

await main();
