/**
 * Layer durability, watched with strace on a real berthd: by default an import flushes the layer
 * with syncfs(2) before committing it; with `--layer-sync=false` (or daemon.json "layer-sync")
 * it does not, and `info` says which mode the daemon is in.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BERTHD, berth, request, run, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

/** The syncfs calls berthd (all its threads, new ones too) makes while `work` runs. */
async function syncfsCallsDuring(pid: number, dir: string, work: () => Promise<void>): Promise<number> {
  const out = join(dir, 'strace.out');
  const tracer = spawn('strace', ['-f', '-e', 'trace=syncfs', '-o', out, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => tracer.once('close', () => resolve()));
  // strace says "Process N attached with K threads" once it has them all.
  let stderr = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`strace did not attach within 10 s: ${stderr}`)), 10_000);
      tracer.once('error', (e) => reject(new Error(`cannot run strace (scripts/setup.sh installs it): ${e.message}`)));
      tracer.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/attached/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
      tracer.once('exit', () => reject(new Error(`strace exited: ${stderr}`)));
    });
    await work();
  } finally {
    tracer.kill('SIGINT');
    await exited;
  }
  return (readFileSync(out, 'utf8').match(/\bsyncfs\(/g) ?? []).length;
}

async function importOne(d: TestDaemon, dir: string, name: string): Promise<void> {
  const src = join(dir, `src-${name}`);
  mkdirSync(join(src, 'etc'), { recursive: true });
  writeFileSync(join(src, 'etc', 'hello'), `hello from ${name}\n`);
  const tar = join(dir, `${name}.tar`);
  const t = await run('tar', ['-cf', tar, '-C', src, '.']);
  assert.equal(t.code, 0, t.stderr);
  const r = await berth(d, ['import', tar, `${name}:latest`]);
  assert.equal(r.code, 0, r.stderr);
}

async function layerSyncStatus(d: TestDaemon): Promise<string | undefined> {
  const info = JSON.parse((await request({ socket: d.socket }, 'GET', '/info')).body) as { DriverStatus: string[][] };
  return info.DriverStatus.find(([k]) => k === 'Layer sync')?.[1];
}

describe('layer durability (layer-sync)', () => {
  it('syncfs flushes an imported layer by default, and not with --layer-sync=false', async (t) => {
    const dir = await tempDir(t, 'bt-sync-');
    const durable = await startDaemon(t);
    assert.equal(await layerSyncStatus(durable), 'true');
    const flushed = await syncfsCallsDuring(durable.proc.pid!, dir, () => importOne(durable, dir, 'durable'));
    assert.ok(flushed >= 1, `expected at least one syncfs during a default import, saw ${flushed}`);

    const fast = await startDaemon(t, { args: ['--layer-sync=false'] });
    assert.equal(await layerSyncStatus(fast), 'false');
    const none = await syncfsCallsDuring(fast.proc.pid!, dir, () => importOne(fast, dir, 'fast'));
    assert.equal(none, 0);
    const inspect = await berth(fast, ['image', 'inspect', '--format', '{{len .RootFS.Layers}}', 'fast:latest']);
    assert.equal(inspect.stdout.trim(), '1', inspect.stderr);
  });

  it('reads "layer-sync" from daemon.json and refuses a bad flag value', async (t) => {
    const dir = await tempDir(t, 'bt-sync-');
    const config = join(dir, 'daemon.json');
    writeFileSync(config, JSON.stringify({ 'layer-sync': false }));
    // The last --config-file wins over the empty one startDaemon passes.
    const d = await startDaemon(t, { args: ['--config-file', config] });
    assert.equal(await layerSyncStatus(d), 'false');
    const info = await berth(d, ['info']);
    assert.match(info.stdout, /Layer sync: false/);

    const bad = await run(BERTHD, ['--layer-sync', 'maybe', '--data-root', join(dir, 'x'), '-H', `unix://${join(dir, 'x.sock')}`]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--layer-sync \[bool\]' argument 'maybe' is invalid\. expected true or false/);
    // A bare flag means true, as with Go's bool flags.
    const bare = await startDaemon(t, { args: ['--config-file', config, '--layer-sync'] });
    assert.equal(await layerSyncStatus(bare), 'true');
  });
});
