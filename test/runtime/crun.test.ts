/**
 * crun as the runtime: on this cgroup v1 "hybrid" host it only works inside a private mount
 * namespace without the cgroup2 mount (runtime.md section 0), which OciRuntime sets up.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { buildExecProcess } from '../../src/runtime/spec-exec.js';
import { collect, harness, newId, statusFields, type Harness } from './harness.js';

const hybrid = existsSync('/sys/fs/cgroup/unified/cgroup.controllers') && readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim() !== '';

describe('crun', { timeout: 120_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await harness('crun');
  });
  after(() => h.close());

  it('goes through the hybrid-cgroup wrapper on this host', () => {
    assert.equal(h.rt.runtime.name, 'crun');
    assert.equal(h.rt.runtime.entry.endsWith('/crun-hybrid'), hybrid);
  });

  it('runs a container with Docker\'s profile, output and exit code', async () => {
    const r = await h.run({ args: ['sh', '-c', 'cat /proc/self/status; echo err >&2; exit 6'], memory: 32 << 20 });
    assert.equal(r.exit.exitCode, 6);
    const s = statusFields(r.stdout);
    assert.equal(s.CapEff, '00000000a80425fb');
    assert.equal(s.Seccomp, '2');
    assert.equal(r.stderr, 'err\n');
  });

  it('execs, pauses, resumes, reports stats and kills', async () => {
    const c = await h.create({ args: ['sleep', '1000'], pidsLimit: 50 });
    await h.rt.start(c.id);
    const session = await h.rt.exec(c.id, { execId: newId(), attach: true, process: buildExecProcess(c.spec.process, { args: ['sh', '-c', 'echo in-crun; exit 2'], containerEnv: [], hostname: 'x' }) });
    assert.equal((await collect(session.stream as NonNullable<typeof session.stream>)).stdout, 'in-crun\n');
    assert.equal(await session.exitCode, 2);
    await h.rt.pause(c.id);
    assert.equal((await h.rt.state(c.id))?.status, 'paused');
    await h.rt.resume(c.id);
    assert.equal((await h.rt.state(c.id))?.status, 'running');
    const stats = await h.rt.stats(c.id, c.spec.linux.cgroupsPath as string);
    assert.equal(stats.pids?.limit, 50);
    assert.ok((stats.pids?.current ?? 0) >= 1);
    assert.ok((stats.memory?.usage?.usage ?? 0) > 0);
    await h.rt.kill(c.id, 'KILL');
    assert.equal((await h.rt.waitExit(c.id)).exitCode, 137);
  });
});
