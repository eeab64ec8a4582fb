/**
 * containerd, the engine Kubernetes nodes use, pulls an image from berth registry with
 * `ctr images pull --plain-http` and runs it with `ctr run`. The test starts its own containerd
 * (own socket, root and state directories, CRI plugin off) and stops it, its shims and its mounts.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { umount2, MNT_DETACH } from '../../src/sys/libc.js';
import { tempDir } from '../helpers/tmp.js';
import { busyboxLayout, request, spawnServe, waitExit, type Ctx } from './helpers.js';

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 120_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

/** Pids whose command line names `needle` (this test's own socket): containerd's shims. */
function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) pids.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

async function startContainerd(t: Ctx): Promise<{ socket: string; ctr: (args: string[]) => ReturnType<typeof run> }> {
  // Not tempDir(): its removal would run before containerd is stopped (after-hooks run in order).
  const dir = await mkdtemp(join(tmpdir(), 'berth-ctrd-'));
  const socket = join(dir, 'containerd.sock');
  const config = join(dir, 'config.toml');
  await writeFile(
    config,
    [
      'version = 2',
      `root = "${join(dir, 'root')}"`,
      `state = "${join(dir, 'state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
    ].join('\n') + '\n',
  );
  const proc = spawn('containerd', ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  t.after(async () => {
    // containerd, then the shims it started for this socket, then its mounts, then its files.
    proc.kill('SIGTERM');
    const exited = await Promise.race([waitExit(proc).then(() => true), sleep(10_000, undefined, { ref: false }).then(() => false)]);
    if (!exited) {
      proc.kill('SIGKILL');
      await waitExit(proc);
    }
    for (const pid of pidsMentioning(socket)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n').reverse()) {
      const target = line.split(' ')[1];
      if (target?.startsWith(dir)) umount2(target, MNT_DETACH);
    }
    await rm(dir, { recursive: true, force: true });
  });
  for (let i = 0; !existsSync(socket); i++) {
    if (proc.exitCode !== null || i > 400) throw new Error(`containerd did not start: ${out}`);
    await sleep(25);
  }
  return { socket, ctr: (args) => run('ctr', ['--address', socket, '--namespace', 'berth-test', ...args]) };
}

describe('containerd interop', () => {
  it('pulls an image from berth registry with ctr --plain-http and runs it with ctr run', async (t) => {
    const layout = await busyboxLayout(await tempDir(t));
    const reg = await spawnServe(t, ['--root', join(await tempDir(t), 'root'), '--access-log', '-']);
    const host = new URL(reg.url).host;
    const push = await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout.dir}:v1`, `docker://${host}/test/busybox:v1`]);
    assert.equal(push.code, 0, push.stderr);

    const { ctr } = await startContainerd(t);
    const image = `${host}/test/busybox:v1`;
    const pull = await ctr(['images', 'pull', '--plain-http', image]);
    assert.equal(pull.code, 0, pull.stderr);
    const images = await ctr(['images', 'ls', '-q']);
    assert.match(images.stdout, new RegExp(`^${image.replace(/[.]/g, '\\.')}$`, 'm'));
    const content = await ctr(['content', 'ls', '-q']);
    assert.match(content.stdout, new RegExp(layout.layerDigest));

    const ran = await ctr(['run', '--rm', image, 'berth-registry-test', 'sh', '-c', 'echo hello from $(uname -s); head -1 /etc/passwd']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'hello from Linux\nroot:x:0:0:root:/root:/bin/sh\n');

    // containerd resolved the tag with a HEAD, then fetched by digest: what the access log shows.
    const log = reg.output();
    assert.match(log, /"method":"HEAD","uri":"\/v2\/test\/busybox\/manifests\/v1","status":200/);
    assert.match(log, new RegExp(`"method":"GET","uri":"/v2/test/busybox/blobs/${layout.layerDigest}","status":200.*"userAgent":"containerd/`));
    assert.equal((await request(`${reg.url}/v2/`)).status, 200);
  });
});
