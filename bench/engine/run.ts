/**
 * `berth run --rm busybox true`, median of N, side by side in one run with: bare `runc run` of
 * the same rootfs, the docker CLI against berthd, and `docker run` against a real dockerd when
 * the docker.io package is installed.
 *
 *   node dist/bench/engine/run.js [--runs 20]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BERTH, REPO, importBusybox, median, startBerthd, startDockerd, stopAll, table, timeCommand } from './harness.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 20) || 20;

function bareRuncBundle(): { bundle: string; root: string } {
  const dir = mkdtempSync('/var/tmp/bb-runc-');
  const bundle = join(dir, 'bundle');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  execFileSync('sh', ['-c', `bash ${REPO}/scripts/busybox-rootfs.sh | tar -x -C ${bundle}/rootfs`]);
  execFileSync('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['true'];
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  return { bundle, root: join(dir, 'state') };
}

async function main(): Promise<void> {
  const results: Array<{ name: string; times: number[] }> = [];
  const measure = (name: string, fn: () => number) => {
    fn(); // warm-up
    const times = Array.from({ length: runs }, fn);
    results.push({ name, times });
    process.stderr.write(`${name}: median ${median(times).toFixed(3)} s\n`);
  };

  const runc = bareRuncBundle();
  let n = 0;
  measure('bare runc run', () => timeCommand('runc', ['--root', runc.root, 'run', '--bundle', runc.bundle, `bench-${process.pid}-${n++}`]));
  rmSync(join(runc.bundle, '..'), { recursive: true, force: true });

  const berthd = await startBerthd();
  importBusybox(berthd.host);
  measure('berth run --rm busybox true', () => timeCommand(BERTH, ['-H', berthd.host, 'run', '--rm', 'busybox', 'true']));
  measure('docker CLI → berthd', () => timeCommand('docker', ['run', '--rm', 'busybox', 'true'], { ...process.env, DOCKER_HOST: berthd.host }));

  const dockerd = await startDockerd();
  if (dockerd) {
    importBusybox(dockerd.host, 'docker');
    measure('docker CLI → dockerd', () => timeCommand('docker', ['run', '--rm', '--network', 'none', 'busybox', 'true'], { ...process.env, DOCKER_HOST: dockerd.host }));
  }
  stopAll();

  const runcMedian = median(results[0].times);
  const dockerMedian = dockerd ? median(results.at(-1)!.times) : undefined;
  const rows = [['command', 'median (s)', 'min (s)', 'vs bare runc', 'vs dockerd']];
  for (const r of results) {
    const m = median(r.times);
    rows.push([r.name, m.toFixed(3), Math.min(...r.times).toFixed(3), `${(m / runcMedian).toFixed(2)}x`, dockerMedian ? `${(m / dockerMedian).toFixed(2)}x` : 'n/a']);
  }
  console.log(`\n${runs} runs each, ${new Date().toISOString()}\n`);
  console.log(table(rows));
}

await main();
