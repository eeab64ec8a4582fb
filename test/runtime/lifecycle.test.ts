/**
 * Container lifecycle under conmon + runc: exit codes as Docker reports them, stdout/stderr
 * through the attach socket and the k8s-file log, stdin, tty and resize, pause/resume, limits
 * updated live, stats, kill, and log rotation followed while the container writes.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BerthError } from '../../src/core/errors.js';
import type { LogEntry } from '../../src/runtime/contract.js';
import { readLogs } from '../../src/runtime/log-reader.js';
import { LogRotator } from '../../src/runtime/log-rotate.js';
import { ContainerRuntime } from '../../src/runtime/supervisor.js';
import { collect, harness, newId, pokeUntil, record, type Harness } from './harness.js';

describe('container lifecycle', { timeout: 120_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  describe('exit codes', () => {
    it('reports the container\'s own exit code', async () => {
      assert.equal((await h.run({ args: ['sh', '-c', 'exit 3'] })).exit.exitCode, 3);
      assert.equal((await h.run({ args: ['true'] })).exit.exitCode, 0);
    });

    it('fails create with 127 for a missing command and 126 for a non-executable one', async () => {
      const failure = async (args: string[]) => {
        try {
          await h.create({ args });
        } catch (e) {
          assert.ok(e instanceof BerthError);
          return e;
        }
        assert.fail('create should have failed');
      };
      const bundles = async () => (await readdir(join(h.execRoot, 'containers')).catch(() => [] as string[])).sort();
      const before = await bundles();
      const missing = await failure(['nosuch']);
      assert.equal(missing.code, 'ERR_RUNTIME_CREATE');
      assert.match(missing.message, /exec: "nosuch": executable file not found in \$PATH/);
      assert.deepEqual(missing.detail, { exitCode: 127 });
      const notExecutable = await failure(['/etc/passwd']);
      assert.match(notExecutable.message, /permission denied/);
      assert.deepEqual(notExecutable.detail, { exitCode: 126 });
      assert.deepEqual((await failure(['/bin/nosuch/x'])).detail, { exitCode: 127 });
      assert.deepEqual(await bundles(), before, 'failed creates leave no bundle behind');
      assert.deepEqual((await h.rt.runtime.list()).filter((s) => !before.includes(s.id)), [], 'nor a runtime record');
    });

    it('reports 137 after SIGKILL and 128+N after another signal (with --init forwarding it)', async () => {
      const killed = await h.create({ args: ['sleep', '100'] });
      await h.rt.start(killed.id);
      await h.rt.kill(killed.id, 'KILL');
      assert.equal((await h.rt.waitExit(killed.id)).exitCode, 137);
      const termed = await h.create({ args: ['sleep', '100'], init: true });
      await h.rt.start(termed.id);
      // tini handles signals once it has forked the command; a SIGTERM before that hits a bare PID 1.
      while ((await h.rt.ps(termed.id)).length < 2) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await h.rt.stop(termed.id, 'SIGTERM', 30)).exitCode, 143);
      assert.equal((await h.rt.state(termed.id))?.status, 'stopped');
    });

    it('reports an OOM kill (137 and the oom marker conmon leaves)', async () => {
      const r = await h.run({ args: ['sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'], memory: 16 << 20, memorySwap: 16 << 20 });
      assert.deepEqual([r.exit.exitCode, r.exit.oomKilled, r.stdout], [137, true, '']);
      assert.equal((await h.run({ args: ['true'], memory: 16 << 20 })).exit.oomKilled, false);
    });

    it('stop escalates to SIGKILL when the signal is ignored', async () => {
      const c = await h.create({ args: ['sleep', '100'] });
      await h.rt.start(c.id);
      // PID 1 without a handler ignores SIGTERM, so only the SIGKILL after the grace period ends it.
      assert.equal((await h.rt.stop(c.id, 'TERM', 0)).exitCode, 137);
    });
  });

  describe('stdio', () => {
    it('keeps stdout and stderr apart on the attach socket and in the log, with partial lines', async () => {
      const r = await h.run({ args: ['sh', '-c', 'echo out1; echo err1 >&2; echo out2; printf partial'] });
      assert.equal(r.stdout, 'out1\nout2\npartial');
      assert.equal(r.stderr, 'err1\n');
      const entries: LogEntry[] = [];
      for await (const e of readLogs(r.logPath)) entries.push(e);
      const text = (s: string) => entries.filter((e) => e.stream === s).map((e) => e.data.toString());
      assert.deepEqual(text('stdout'), ['out1\n', 'out2\n', 'partial']);
      assert.deepEqual(text('stderr'), ['err1\n']);
      assert.ok(entries.every((e) => e.timeNs > 1_600_000_000_000_000_000n));
      assert.ok(r.frames.every((f) => f.stream === 'stdout' || f.stream === 'stderr'));
    });

    it('passes stdin through the attach socket and closes it on half-close', async () => {
      const c = await h.create({ args: ['sh', '-c', 'while read l; do echo "got:$l"; done; echo eof'] }, { stdin: true, stdinOnce: true });
      const stream = h.rt.attach(c.id);
      const out = collect(stream);
      await h.rt.start(c.id);
      await stream.sendStdin('hello\n');
      await stream.sendStdin(Buffer.from('x'.repeat(20000) + '\n'));
      await stream.closeStdin();
      assert.equal((await h.rt.waitExit(c.id)).exitCode, 0);
      const { stdout } = await out;
      assert.equal(stdout, `got:hello\ngot:${'x'.repeat(20000)}\neof\n`);
    });

    it('leaves stdin open after a detach when asked, so a second client can write', async () => {
      const c = await h.create({ args: ['sh', '-c', 'read a; echo "a=$a"; read b; echo "b=$b"'] }, { stdin: true, stdinOnce: false });
      const first = h.rt.attach(c.id);
      const seen = record(first);
      await h.rt.start(c.id);
      await first.sendStdin('1\n');
      await seen.waitFor('a=1');
      first.detach();
      const second = h.rt.attach(c.id);
      const out = collect(second);
      await second.sendStdin('2\n');
      assert.equal((await h.rt.waitExit(c.id)).exitCode, 0);
      assert.equal((await out).stdout, 'b=2\n');
    });

    it('gives a tty with the initial console size and resizes it through the ctl FIFO', async () => {
      const loop = 'stty size; while read x; do [ "$x" = q ] && break; stty size; done; echo "err" >&2; exit 4';
      const c = await h.create({ args: ['sh', '-c', loop], tty: true, consoleSize: [30, 100] }, { stdin: true });
      const stream = h.rt.attach(c.id);
      const out = record(stream);
      await h.rt.start(c.id);
      await out.waitFor('30 100');
      await h.rt.resize(c.id, 40, 120);
      // conmon applies the new size asynchronously: ask the shell again until it sees it.
      await pokeUntil(out, '40 120', () => stream.sendStdin('\n'));
      await stream.sendStdin('q\n');
      assert.equal((await h.rt.waitExit(c.id)).exitCode, 4);
      const { stdout, stderr } = await out.done;
      assert.equal(stderr, '', 'a tty merges stderr into stdout');
      assert.match(stdout, /30 100\r\n[\s\S]*40 120\r\n[\s\S]*err\r\n/);
      const logged: LogEntry[] = [];
      for await (const e of readLogs(c.logPath)) logged.push(e);
      assert.ok(logged.every((e) => e.stream === 'stdout'));
      assert.equal(logged.map((e) => e.data.toString()).join(''), stdout, 'the log keeps the raw tty bytes');
    });

    it('serves many attach clients at once without the thread pool, and the threadpool reader still works', async () => {
      const c = await h.create({ args: ['sh', '-c', 'read x; echo "line:$x"'] }, { stdin: true });
      await h.rt.start(c.id);
      const clients = Array.from({ length: 40 }, () => h.rt.attach(c.id));
      const pooled = h.rt.attach(c.id, { io: 'threadpool' });
      assert.ok(clients.every((s) => s.ioMode === 'event-loop'));
      assert.equal(pooled.ioMode, 'threadpool');
      const outputs = [...clients, pooled].map((s) => collect(s));
      // 41 idle readers, one pool thread in use: file I/O of the process still goes through.
      assert.match(await readFile('/proc/self/status', 'utf8'), /^Threads:/m);
      await clients[0].sendStdin('all\n');
      assert.equal((await h.rt.waitExit(c.id)).exitCode, 0);
      for (const o of await Promise.all(outputs)) assert.equal(o.stdout, 'line:all\n');
    });
  });

  describe('control', () => {
    it('pauses and resumes through the freezer', async () => {
      const c = await h.create({ args: ['sleep', '100'] });
      await h.rt.start(c.id);
      await h.rt.pause(c.id);
      assert.equal((await h.rt.state(c.id))?.status, 'paused');
      const freezer = `/sys/fs/cgroup/freezer${h.cgroupParent}/${c.id}/freezer.state`;
      assert.equal((await readFile(freezer, 'utf8')).trim(), 'FROZEN');
      await h.rt.resume(c.id);
      assert.equal((await h.rt.state(c.id))?.status, 'running');
      assert.equal((await readFile(freezer, 'utf8')).trim(), 'THAWED');
      await h.rt.kill(c.id, 'KILL');
      await h.rt.waitExit(c.id);
    });

    it('updates memory and pids limits live, reports stats and process ids', async () => {
      const c = await h.create({ args: ['sh', '-c', 'sleep 100 & wait'], memory: 64 << 20, pidsLimit: 100 });
      await h.rt.start(c.id);
      const cg = (ctrl: string, file: string) => readFile(`/sys/fs/cgroup/${ctrl}${h.cgroupParent}/${c.id}/${file}`, 'utf8').then((s) => s.trim());
      assert.equal(await cg('memory', 'memory.limit_in_bytes'), String(64 << 20));
      assert.equal(await cg('pids', 'pids.max'), '100');
      await h.rt.update(c.id, { memory: { limit: 128 << 20, swap: 256 << 20 }, pids: { limit: 200 } });
      assert.equal(await cg('memory', 'memory.limit_in_bytes'), String(128 << 20));
      assert.equal(await cg('pids', 'pids.max'), '200');
      const stats = await h.rt.stats(c.id, c.spec.linux.cgroupsPath as string);
      assert.equal(stats.memory?.usage?.limit, 128 << 20);
      assert.equal(stats.pids?.limit, 200);
      assert.ok((stats.pids?.current ?? 0) >= 2);
      assert.ok((stats.cpu?.usage?.total ?? 0) > 0);
      const pids = await h.rt.ps(c.id);
      assert.ok(pids.includes(c.pid) && pids.length >= 2, `ps: ${pids.join(',')}`);
      await assert.rejects(h.rt.update(c.id, { memory: { limit: 1 } }), (e: unknown) => e instanceof BerthError && /OCI runtime update failed/.test(e.message));
      await h.rt.kill(c.id, 'KILL');
      await h.rt.waitExit(c.id);
    });

    it('reports a conmon that dies before the runtime ran, and leaves nothing behind', async () => {
      const broken = await ContainerRuntime.open({ execRoot: h.execRoot, conmonPath: '/bin/false' });
      const c = await h.create({ args: ['true'] });
      const before = await readdir(join(h.execRoot, 'containers'));
      await assert.rejects(broken.create({ id: newId(), spec: c.spec, logPath: c.logPath }), (e: unknown) => e instanceof BerthError && e.code === 'ERR_CONMON');
      broken.close();
      assert.deepEqual(await readdir(join(h.execRoot, 'containers')), before);
    });

    it('removes the container with its runtime state, bundle, cgroup and exit file', async () => {
      const c = await h.create({ args: ['sleep', '100'] });
      await h.rt.start(c.id);
      const p = h.rt.paths(c.id);
      await h.rt.remove(c.id);
      assert.equal(await h.rt.state(c.id), undefined);
      assert.equal(existsSync(p.bundle), false);
      assert.equal(existsSync(p.exitDirFile), false);
      assert.equal(existsSync(`/sys/fs/cgroup/memory${h.cgroupParent}/${c.id}`), false);
      assert.equal((await h.rt.recover(c.id)).conmonAlive, false);
    });
  });

  describe('logs', () => {
    it('rotates at max-size while a follower reads every line in order, ending at the exit', async () => {
      // Three batches of ~9 KiB; the container waits after each until the test saw it rotated.
      const batch = 100;
      const script = `for b in 1 2 3; do i=0; while [ $i -lt ${batch} ]; do echo "line $b $i $(printf '%080d' 0)"; i=$((i+1)); done; read go; done`;
      const c = await h.create({ args: ['sh', '-c', script] }, { stdin: true });
      const rotator = new LogRotator({ logPath: c.logPath, ctlPath: h.rt.paths(c.id).ctl, maxSize: 8192, maxFiles: 10, pollMs: 50 });
      rotator.start();
      const exited = h.rt.waitExit(c.id);
      const followed = (async () => {
        const got: string[] = [];
        for await (const e of readLogs(c.logPath, { follow: true, stopped: exited })) got.push(e.data.toString());
        return got;
      })();
      const stdin = h.rt.attach(c.id);
      await h.rt.start(c.id);
      for (let b = 1; b <= 3; b++) {
        while (!existsSync(`${c.logPath}.${b}`)) await new Promise((r) => setTimeout(r, 20));
        await stdin.sendStdin('go\n');
      }
      assert.equal((await exited).exitCode, 0);
      const got = await followed;
      await rotator.stop();
      stdin.detach();
      const expected = [1, 2, 3].flatMap((b) => Array.from({ length: batch }, (_, i) => `line ${b} ${i} `));
      assert.equal(got.length, expected.length);
      got.forEach((l, i) => assert.ok(l.startsWith(expected[i]), `entry ${i}: ${l}`));
      const again: string[] = [];
      for await (const e of readLogs(c.logPath, { tail: 2 })) again.push(e.data.toString().split(' ').slice(1, 3).join(' '));
      assert.deepEqual(again, [`3 ${batch - 2}`, `3 ${batch - 1}`]);
    });
  });
});
