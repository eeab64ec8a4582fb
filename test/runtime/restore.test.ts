/**
 * berthd is never the parent of a container: a process starts one under conmon and is killed;
 * conmon and the container live on, a fresh process finds them (conmon pid, runtime state),
 * re-attaches, and later reads the recorded exit.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { readLogs } from '../../src/runtime/log-reader.js';
import { busyboxRootfs, harness, newId, record, type Harness } from './harness.js';
import { tempDir } from '../helpers/tmp.js';

const fixtures = join(import.meta.dirname, 'fixtures');

interface Recovered {
  conmonAlive: boolean;
  conmonPid?: number;
  state?: { status: string; pid: number };
  exit?: { exitCode: number; finishedAtNs: string; oomKilled: boolean };
}

async function recoverInFreshProcess(execRoot: string, id: string): Promise<Recovered> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(fixtures, 'recover.js'), execRoot, id]);
  return JSON.parse(stdout) as Recovered;
}

describe('live restore', { timeout: 120_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  it('keeps the container running when its starter dies; a fresh process re-attaches and sees the exit', async (t) => {
    const id = newId();
    const rootfs = await busyboxRootfs(join(await tempDir(t), 'rootfs'));
    const logPath = join(await tempDir(t), 'c.log');
    const starter = spawn(process.execPath, [join(fixtures, 'starter.js'), JSON.stringify({ execRoot: h.execRoot, id, rootfs, logPath, cgroupParent: h.cgroupParent })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => h.rt.remove(id));
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      starter.stdout.on('data', (b: Buffer) => {
        buf += b.toString();
        if (buf.includes('\n')) resolve(buf.split('\n')[0]);
      });
      starter.on('exit', (code) => reject(new Error(`starter exited with ${code}`)));
    });
    const started = JSON.parse(line) as { pid: number; conmonPid: number; starter: number };
    starter.kill('SIGKILL');
    await new Promise((resolve) => starter.once('exit', resolve));

    const ppid = Number((await readFile(`/proc/${started.conmonPid}/stat`, 'utf8')).split(') ')[1].split(' ')[1]);
    assert.notEqual(ppid, started.starter, 'conmon is not a child of the process that started it');
    const alive = await recoverInFreshProcess(h.execRoot, id);
    assert.equal(alive.conmonAlive, true);
    assert.equal(alive.conmonPid, started.conmonPid);
    assert.equal(alive.state?.status, 'running');
    assert.equal(alive.state?.pid, started.pid);
    assert.equal(alive.exit, undefined);

    const stream = h.rt.attach(id);
    const echoed = record(stream);
    await stream.sendStdin('after-restart\n');
    await echoed.waitFor('got:after-restart');
    stream.detach();

    await h.rt.kill(id, 'KILL');
    assert.equal((await h.rt.waitExit(id)).exitCode, 137);
    const dead = await recoverInFreshProcess(h.execRoot, id);
    assert.equal(dead.exit?.exitCode, 137);
    assert.equal(dead.exit?.oomKilled, false);
    assert.equal(dead.state?.status, 'stopped');
    const logged: string[] = [];
    for await (const e of readLogs(logPath)) logged.push(e.data.toString());
    assert.deepEqual(logged, ['started\n', 'got:after-restart\n']);
  });

  it('reports exits that happened while nobody watched, once the watcher starts', async () => {
    const c = await h.create({ args: ['sh', '-c', 'exit 9'] });
    await h.rt.start(c.id);
    const seen = await h.rt.waitExit(c.id);
    const { ExitWatcher } = await import('../../src/runtime/exits.js');
    const fresh = new ExitWatcher(join(h.execRoot, 'exits'));
    const reported = new Map<string, number>();
    fresh.on('exit', (id, info) => reported.set(id, info.exitCode));
    await fresh.start();
    fresh.stop();
    assert.equal(reported.get(c.id), 9);
    assert.equal(seen.exitCode, 9);
  });
});
