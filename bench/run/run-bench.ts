/**
 * Runtime benchmark: from nothing to exit for `true` in a busybox rootfs, median of N, side by
 * side in one run:
 *   - bare `runc run` of a bundle holding berth's config.json (Docker's profile, seccomp included);
 *   - berth's path: buildSpec + conmon + `runc create` (sync pipe) + `runc start` + exit file;
 *   - the same two with crun (through the hybrid-cgroup wrapper on this host class).
 * The conmon path is also split into its phases (create until the sync pipe reports the pid,
 * start, wait for the exit file); removal (runtime delete, bundle) is timed apart.
 *
 *   node dist/bench/run/run-bench.js [--runs 20]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeName } from '../../src/runtime/contract.js';
import { gatherSpecFacts } from '../../src/runtime/facts.js';
import { specToJson } from '../../src/runtime/oci-config.js';
import { buildSpec } from '../../src/runtime/spec.js';
import { ContainerRuntime } from '../../src/runtime/supervisor.js';

const REPO = new URL('../../..', import.meta.url).pathname;
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 20) || 20;
const CGROUP_PARENT = `/berth-run-bench-${process.pid}`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x: number) => x.toFixed(1);
const newId = () => randomBytes(32).toString('hex');

function makeRootfs(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  execFileSync('sh', ['-c', `bash ${REPO}/scripts/busybox-rootfs.sh | tar -x -C ${rootfs}`]);
  return rootfs;
}

interface Row {
  name: string;
  times: number[];
}

/** `<runtime> run` of a bundle with berth's config: the runtime alone, no supervisor. */
async function bare(rt: ContainerRuntime, work: string, rootfs: string): Promise<number[]> {
  const bundle = join(work, `bare-${rt.runtime.name}`);
  mkdirSync(bundle, { recursive: true });
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const id = newId();
    const opts = { id, rootfs, args: ['true'], cgroupParent: CGROUP_PARENT };
    writeFileSync(join(bundle, 'config.json'), specToJson(buildSpec(opts, await gatherSpecFacts(opts))));
    const t0 = performance.now();
    const r = spawnSync(rt.runtime.entry, [...rt.runtime.globalArgs(), 'run', '--bundle', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
    const t = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${rt.runtime.name} run failed: ${r.stderr.toString()}`);
    if (i > 0) times.push(t); // the first run warms the caches
  }
  return times;
}

interface Phases {
  total: number[];
  create: number[];
  start: number[];
  exit: number[];
  remove: number[];
}

/** berth's path: spec, conmon + runtime create, runtime start, exit recorded by conmon. */
async function supervised(rt: ContainerRuntime, work: string, rootfs: string): Promise<Phases> {
  const p: Phases = { total: [], create: [], start: [], exit: [], remove: [] };
  for (let i = 0; i <= runs; i++) {
    const id = newId();
    const t0 = performance.now();
    const opts = { id, rootfs, args: ['true'], cgroupParent: CGROUP_PARENT };
    const spec = buildSpec(opts, await gatherSpecFacts(opts));
    await rt.create({ id, spec, logPath: join(work, 'logs', `${id}.log`) });
    const t1 = performance.now();
    await rt.start(id);
    const t2 = performance.now();
    const exit = await rt.waitExit(id);
    const t3 = performance.now();
    if (exit.exitCode !== 0) throw new Error(`true exited with ${exit.exitCode}`);
    await rt.remove(id);
    const t4 = performance.now();
    if (i === 0) continue;
    p.total.push(t3 - t0);
    p.create.push(t1 - t0);
    p.start.push(t2 - t1);
    p.exit.push(t3 - t2);
    p.remove.push(t4 - t3);
  }
  return p;
}

function removeCgroupParent(): void {
  for (const h of readdirSync('/sys/fs/cgroup')) {
    try {
      rmdirSync(join('/sys/fs/cgroup', h, CGROUP_PARENT));
    } catch {
      // not created in this hierarchy
    }
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync('/var/tmp/berth-run-bench-');
  const rows: Row[] = [];
  const phases: [string, Phases][] = [];
  try {
    const rootfs = makeRootfs(work);
    for (const name of ['runc', 'crun'] as RuntimeName[]) {
      const rt = await ContainerRuntime.open({ execRoot: join(work, `exec-${name}`), name });
      try {
        const via = rt.runtime.entry === rt.runtime.binary ? '' : ' (hybrid-cgroup wrapper)';
        rows.push({ name: `bare ${name} run${via}`, times: await bare(rt, work, rootfs) });
        process.stderr.write(`${rows.at(-1)?.name}: done\n`);
        const ph = await supervised(rt, work, rootfs);
        rows.push({ name: `berth: conmon + ${name}${via}`, times: ph.total });
        phases.push([name, ph]);
        process.stderr.write(`${rows.at(-1)?.name}: done\n`);
      } finally {
        rt.close();
      }
    }
  } finally {
    removeCgroupParent();
    rmSync(work, { recursive: true, force: true });
  }

  const base = median(rows[0].times);
  const table = [['path (`true` in busybox)', 'median ms', 'min ms', 'max ms', 'vs bare runc']];
  for (const r of rows) table.push([r.name, ms(median(r.times)), ms(Math.min(...r.times)), ms(Math.max(...r.times)), `${(median(r.times) / base).toFixed(2)}x`]);
  table.push([]);
  table.push(['conmon path phases (median ms)', 'create (sync pid)', 'start', 'exit file', 'remove (not in total)']);
  for (const [name, ph] of phases) table.push([name, ms(median(ph.create)), ms(median(ph.start)), ms(median(ph.exit)), ms(median(ph.remove))]);
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  process.stdout.write(`runs: ${runs} (after one warm-up run each)\n`);
  for (const r of table) process.stdout.write(r.length ? r.map((c, i) => c.padEnd(widths[i])).join('  ') + '\n' : '\n');
}

await main();
