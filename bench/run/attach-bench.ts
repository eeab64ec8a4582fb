/**
 * Does holding many attach connections starve the daemon? One idle container, N clients
 * attached to it, and meanwhile the latency of fs.promises.stat (a libuv thread-pool job, like
 * every async fs call, dns.lookup and zlib of berthd). Two ways of reading the SEQPACKET socket:
 *   - event-loop: libuv's pipe handle over the fd (what berth uses): no pool thread held;
 *   - threadpool: a blocking fs.read per connection: one pool thread held per client.
 * A stat that does not finish within 2 s counts as blocked.
 *
 *   node dist/bench/run/attach-bench.js            (UV_THREADPOOL_SIZE as in the environment)
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { AttachStream } from '../../src/runtime/attach.js';
import { gatherSpecFacts } from '../../src/runtime/facts.js';
import { buildSpec } from '../../src/runtime/spec.js';
import { ContainerRuntime } from '../../src/runtime/supervisor.js';

const REPO = new URL('../../..', import.meta.url).pathname;
const CGROUP_PARENT = `/berth-attach-bench-${process.pid}`;

async function statLatency(samples = 50): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const done = await Promise.race([stat('/').then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 2000).unref())]);
    if (!done) return 'blocked (>2000 ms)';
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return `${times[Math.floor(times.length / 2)].toFixed(3)} ms`;
}

async function main(): Promise<void> {
  const work = mkdtempSync('/var/tmp/berth-attach-bench-');
  const rootfs = join(work, 'rootfs');
  mkdirSync(rootfs);
  execFileSync('sh', ['-c', `bash ${REPO}/scripts/busybox-rootfs.sh | tar -x -C ${rootfs}`]);
  const rt = await ContainerRuntime.open({ execRoot: join(work, 'exec') });
  const id = randomBytes(32).toString('hex');
  try {
    const opts = { id, rootfs, args: ['sleep', '1000'], cgroupParent: CGROUP_PARENT };
    await rt.create({ id, spec: buildSpec(opts, await gatherSpecFacts(opts)), logPath: join(work, 'c.log') });
    await rt.start(id);
    const pool = process.env.UV_THREADPOOL_SIZE ?? '4 (default)';
    process.stdout.write(`UV_THREADPOOL_SIZE=${pool}\n`);
    process.stdout.write(`${'attached clients'.padEnd(18)}${'event-loop reader'.padEnd(22)}threadpool reader\n`);
    process.stdout.write(`${'0'.padEnd(18)}${(await statLatency()).padEnd(22)}-\n`);
    for (const n of [2, 8, 64]) {
      const results: string[] = [];
      for (const io of ['event-loop', 'threadpool'] as const) {
        const clients: AttachStream[] = Array.from({ length: n }, () => rt.attach(id, { io }));
        for (const c of clients) c.resume();
        results.push(await statLatency());
        for (const c of clients) c.detach();
        // Detached threadpool readers give their threads back once their blocked read returns.
        await new Promise((r) => setTimeout(r, 200));
      }
      process.stdout.write(`${String(n).padEnd(18)}${results[0].padEnd(22)}${results[1]}\n`);
    }
  } finally {
    await rt.remove(id).catch(() => undefined);
    rt.close();
    for (const h of readdirSync('/sys/fs/cgroup')) {
      try {
        rmdirSync(join('/sys/fs/cgroup', h, CGROUP_PARENT));
      } catch {
        // not in this hierarchy
      }
    }
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
