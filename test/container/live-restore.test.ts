/**
 * Containers outlive berthd: kill the daemon with SIGKILL while containers run and exit, start it
 * again on the same data-root, and check it re-adopts them with the right state; restart
 * policies apply while it runs and when it starts; a kill at any moment corrupts nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { berth, docker, run, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxTar } from '../helpers/images.js';

async function ok(d: TestDaemon, args: string[]): Promise<string> {
  const r = await docker(d, args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function inspect(d: TestDaemon, name: string): Promise<{ Id: string; State: { Status: string; Pid: number; ExitCode: number; FinishedAt: string }; RestartCount: number }> {
  return JSON.parse(await ok(d, ['inspect', name]))[0];
}

async function until(what: string, check: () => Promise<boolean>, tries = 100, ms = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, ms));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Whether a process runs (a zombie waiting to be reaped by init does not count). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function freshDaemon(): Promise<TestDaemon> {
  const d = await startDaemon(undefined, { keepDir: true });
  const r = await berth(d, ['import', '--change', 'CMD ["sh"]', '-', 'busybox:latest'], { input: busyboxTar() });
  assert.equal(r.code, 0, r.stderr);
  return d;
}

async function cleanup(d: TestDaemon): Promise<void> {
  const ids = (await docker(d, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (ids.length) await docker(d, ['rm', '-f', ...ids]);
  await d.stop();
  await run('rm', ['-rf', d.dir]);
}

describe('live restore', () => {
  it('keeps containers running and logging through a SIGKILL of berthd, and re-adopts them', async () => {
    let d = await freshDaemon();
    try {
      await ok(d, ['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done']);
      await ok(d, ['run', '-d', '--name', 'quitter', 'busybox', 'sh', '-c', 'sleep 1; exit 3']);
      const before = await inspect(d, 'ticker');
      const logPath = JSON.parse(await ok(d, ['inspect', '-f', '{{json .LogPath}}', 'ticker']));
      await d.kill();
      const killedAt = Date.now();
      const sizeAtKill = statSync(logPath).size;
      await new Promise((r) => setTimeout(r, 2000));
      // Nobody serves the API now, yet the container runs and its log grows.
      assert.equal(alive(before.State.Pid), true);
      assert.ok(statSync(logPath).size > sizeAtKill, 'the log kept growing while berthd was down');

      d = await startDaemon(undefined, { dir: d.dir, keepDir: true });
      const after = await inspect(d, 'ticker');
      assert.equal(after.State.Status, 'running');
      assert.equal(after.State.Pid, before.State.Pid);
      const quitter = await inspect(d, 'quitter');
      assert.equal(quitter.State.Status, 'exited');
      assert.equal(quitter.State.ExitCode, 3);
      const finished = Date.parse(quitter.State.FinishedAt);
      assert.ok(finished < Date.now() && finished > killedAt - 2000, `FinishedAt ${quitter.State.FinishedAt} is when it exited`);
      // The re-adopted container is fully managed again: logs (nothing lost), exec, stop.
      const logs = (await ok(d, ['logs', 'ticker'])).split('\n').filter(Boolean);
      logs.forEach((l, i) => assert.equal(l, `tick ${i}`));
      assert.ok(logs.length > 20);
      assert.equal(await ok(d, ['exec', 'ticker', 'echo', 'still here']), 'still here\n');
      await ok(d, ['stop', '-t', '1', 'ticker']);
      assert.equal((await inspect(d, 'ticker')).State.ExitCode, 137);
      assert.equal(alive(before.State.Pid), false);
    } finally {
      await cleanup(d);
    }
  });

  it('applies restart policies while running and when the daemon starts', async () => {
    let d = await freshDaemon();
    try {
      await ok(d, ['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 1']);
      await until('on-failure to give up', async () => {
        const s = await inspect(d, 'flaky');
        return s.State.Status === 'exited' && s.RestartCount === 2;
      });
      await ok(d, ['run', '-d', '--name', 'forever', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.3; exit 0']);
      await until('always to restart', async () => (await inspect(d, 'forever')).RestartCount >= 1);
      await ok(d, ['run', '-d', '--name', 'always-stopped', '--restart', 'always', 'busybox', 'sleep', '1000']);
      await ok(d, ['run', '-d', '--name', 'unless', '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']);
      await ok(d, ['stop', '-t', '0', 'always-stopped', 'unless']);
      // A manual stop ends the restarts while the daemon runs.
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await inspect(d, 'always-stopped')).State.Status, 'exited');
      assert.equal((await inspect(d, 'unless')).State.Status, 'exited');
      await ok(d, ['update', '--restart', 'no', 'forever']);
      await d.stop();
      d = await startDaemon(undefined, { dir: d.dir, keepDir: true });
      // On daemon start: always restarts even after a manual stop, unless-stopped does not.
      await until('always to start with the daemon', async () => (await inspect(d, 'always-stopped')).State.Status === 'running');
      assert.equal((await inspect(d, 'unless')).State.Status, 'exited');
      assert.equal((await inspect(d, 'flaky')).RestartCount, 2);
    } finally {
      await cleanup(d);
    }
  });

  it('survives SIGKILL at arbitrary moments without corrupting the data-root', async () => {
    let d = await freshDaemon();
    try {
      for (let round = 0; round < 4; round++) {
        // Start work and kill the daemon in the middle of it.
        const work = Promise.all([
          docker(d, ['run', '-d', 'busybox', 'sleep', '1000']),
          docker(d, ['run', '--rm', 'busybox', 'true']),
          docker(d, ['create', 'busybox', 'true']),
          docker(d, ['tag', 'busybox', `kill-round:${round}`]),
        ]);
        await new Promise((r) => setTimeout(r, 50 + round * 60));
        await d.kill();
        await work;
        d = await startDaemon(undefined, { dir: d.dir, keepDir: true });
        // Every record on disk parses, and every container the daemon lists can be inspected and removed.
        for (const id of readdirSync(join(d.dataRoot, 'containers'))) {
          const file = join(d.dataRoot, 'containers', id, 'config.json');
          JSON.parse(readFileSync(file, 'utf8'));
        }
        JSON.parse(readFileSync(join(d.dataRoot, 'images', 'references.json'), 'utf8'));
        const ids = (await ok(d, ['ps', '-aq'])).split('\n').filter(Boolean);
        for (const id of ids) await ok(d, ['inspect', id]);
        if (ids.length) await ok(d, ['rm', '-f', ...ids]);
        assert.equal(await ok(d, ['ps', '-aq']), '');
      }
      assert.match(await ok(d, ['images', '--format', '{{.Repository}}']), /busybox/);
    } finally {
      await cleanup(d);
    }
  });

  it('removes the runtime leftovers of a container whose record is gone (killed during a background cleanup)', async () => {
    let d = await freshDaemon();
    try {
      const kept = (await ok(d, ['run', '-d', 'busybox', 'sleep', '1000'])).trim();
      const orphan = (await ok(d, ['run', '-d', 'busybox', 'sleep', '1000'])).trim();
      const unreadable = (await ok(d, ['run', '-d', 'busybox', 'sleep', '1000'])).trim();
      const keptPid = (await inspect(d, kept)).State.Pid;
      const orphanPid = (await inspect(d, orphan)).State.Pid;
      const unreadablePid = (await inspect(d, unreadable)).State.Pid;
      await d.kill();
      // What a kill between the record's removal and the runtime's cleanup leaves: a runtime
      // record and a bundle, no container record.
      await run('umount', ['-l', join(d.dataRoot, 'containers', orphan, 'rootfs')]);
      await run('rm', ['-rf', join(d.dataRoot, 'containers', orphan)]);
      // A record the store cannot read is not an orphan: its container must survive.
      const record = join(d.dataRoot, 'containers', unreadable, 'config.json');
      const saved = readFileSync(record);
      writeFileSync(record, '{ not json');
      d = await startDaemon(undefined, { dir: d.dir, keepDir: true });
      const runcIds = (await run('runc', ['--root', join(d.execRoot, 'runtime', 'runc'), 'list', '-q'])).stdout.split('\n').filter(Boolean);
      assert.deepEqual(runcIds.sort(), [kept, unreadable].sort());
      assert.deepEqual(readdirSync(join(d.execRoot, 'containers')).sort(), [kept, unreadable].sort());
      await until('the orphan to be killed', async () => !alive(orphanPid));
      assert.equal(alive(keptPid), true);
      assert.equal(alive(unreadablePid), true);
      assert.equal((await inspect(d, kept)).State.Status, 'running');
      // Repaired, it is re-adopted at the next start (and removed with the others below).
      writeFileSync(record, saved);
      await d.stop();
      d = await startDaemon(undefined, { dir: d.dir, keepDir: true });
      assert.equal((await inspect(d, unreadable)).State.Status, 'running');
    } finally {
      await cleanup(d);
    }
  });

  it('stops a container whose conmon died without recording an exit, and records 255', async () => {
    const d = await freshDaemon();
    try {
      const id = (await ok(d, ['run', '-d', 'busybox', 'sleep', '1000'])).trim();
      const pid = (await inspect(d, id)).State.Pid;
      const conmonPid = Number(readFileSync(join(d.execRoot, 'containers', id, 'conmon.pid'), 'utf8'));
      process.kill(conmonPid, 'SIGKILL');
      await until('the watchdog to notice', async () => (await inspect(d, id)).State.Status === 'exited', 150, 100);
      assert.equal((await inspect(d, id)).State.ExitCode, 255);
      assert.equal(alive(pid), false);
      assert.equal(await ok(d, ['rm', id]), `${id}\n`);
    } finally {
      await cleanup(d);
    }
  });
});
