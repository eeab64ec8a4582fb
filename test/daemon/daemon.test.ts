import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BERTHD, berth, docker, request, run, startDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

describe('berthd', () => {
  it('serves /_ping, /version and /info with Docker headers on a 0660 socket', async (t) => {
    const d = await startDaemon(t);
    assert.equal(statSync(d.socket).mode & 0o777, 0o660);
    const head = await request(d, 'HEAD', '/_ping');
    assert.equal(head.status, 200);
    assert.equal(head.headers['api-version'], '1.41');
    assert.equal(head.headers['ostype'], 'linux');
    assert.equal(head.headers['content-type'], 'text/plain; charset=utf-8');
    const ping = await request(d, 'GET', '/v1.41/_ping');
    assert.equal(ping.body, 'OK');
    const version = JSON.parse((await request(d, 'GET', '/version')).body);
    assert.equal(version.ApiVersion, '1.41');
    assert.equal(version.MinAPIVersion, '1.12');
    assert.equal(version.Os, 'linux');
    const info = JSON.parse((await request(d, 'GET', '/v1.24/info')).body);
    assert.equal(info.OSType, 'linux');
    assert.equal(info.DockerRootDir, d.dataRoot);
    assert.ok(info.MemTotal > 0 && info.NCPU > 0);
    assert.deepEqual(JSON.parse((await request(d, 'GET', '/plugins')).body), []);
  });

  it('refuses API versions above 1.41 and below 1.12, and unknown routes, with JSON errors', async (t) => {
    const d = await startDaemon(t);
    const tooNew = await request(d, 'GET', '/v1.50/version');
    assert.equal(tooNew.status, 400);
    assert.equal(tooNew.headers['content-type'], 'application/json');
    assert.equal(JSON.parse(tooNew.body).message, 'client version 1.50 is too new. Maximum supported API version is 1.41');
    const tooOld = await request(d, 'GET', '/v1.11/version');
    assert.equal(tooOld.status, 400);
    assert.match(JSON.parse(tooOld.body).message, /client version 1.11 is too old/);
    const missing = await request(d, 'GET', '/v1.41/nonexistent');
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).message, 'page not found');
    const net = await request(d, 'GET', '/v1.41/networks/x');
    assert.equal(net.status, 404);
    assert.equal(JSON.parse(net.body).message, 'network x not found');
  });

  it('works with the real docker CLI (version, info)', async (t) => {
    const d = await startDaemon(t);
    const v = await docker(d, ['version']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /API version:\s+1\.41 \(minimum version 1\.12\)/);
    const i = await docker(d, ['info', '--format', '{{.OSType}} {{.DockerRootDir}} {{.Swarm.LocalNodeState}}']);
    assert.equal(i.code, 0, i.stderr);
    assert.equal(i.stdout.trim(), `linux ${d.dataRoot} inactive`);
  });

  it('berth version and info talk to the daemon; an unreachable daemon is a clear error', async (t) => {
    const d = await startDaemon(t);
    const v = await berth(d, ['version']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /Server: berth/);
    const i = await berth(d, ['info', '--format', '{{.DefaultRuntime}}']);
    assert.equal(i.stdout.trim(), 'runc');
    const gone = await berth({ host: 'unix:///tmp/no-such-berth.sock' }, ['info']);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr.trim(), 'Cannot connect to berthd at unix:///tmp/no-such-berth.sock: is it running?');
  });

  it('refuses a second daemon on the same data-root and stops gracefully on SIGTERM', async (t) => {
    const d = await startDaemon(t);
    const second = await run(BERTHD, ['--data-root', d.dataRoot, '--exec-root', join(d.dir, 'run2'), '-H', `unix://${join(d.dir, 'other.sock')}`]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /another berthd \(pid \d+\) is already using the data-root/);
    assert.equal(existsSync(join(d.dir, 'other.sock')), false);
    assert.equal(await d.stop(), 0);
    assert.equal(existsSync(d.socket), false);
  });

  it('reads daemon.json, lets flags win, and rejects unknown keys like dockerd', async (t) => {
    const dir = await tempDir(t, 'bt-cfg-');
    const cfg = join(dir, 'daemon.json');
    writeFileSync(
      cfg,
      JSON.stringify({ 'data-root': join(dir, 'from-file'), 'default-runtime': 'crun', 'log-level': 'warn', 'insecure-registries': ['myregistry:5000', '10.20.0.0/16'] }),
    );
    const sock = join(dir, 'b.sock');
    const pidfile = join(dir, 'berthd.pid');
    const p = spawn(BERTHD, ['--config-file', cfg, '--exec-root', join(dir, 'run'), '-H', `unix://${sock}`, '--default-runtime', 'runc', '--pidfile', pidfile]);
    t.after(() => p.kill('SIGKILL'));
    const { waitForSocket } = await import('../helpers/daemon.js');
    await waitForSocket(sock, p);
    const info = JSON.parse((await request({ socket: sock }, 'GET', '/info')).body);
    assert.equal(info.DockerRootDir, join(dir, 'from-file'));
    assert.equal(info.DefaultRuntime, 'runc');
    assert.deepEqual(info.RegistryConfig.InsecureRegistryCIDRs, ['127.0.0.0/8', '10.20.0.0/16']);
    assert.deepEqual(info.RegistryConfig.IndexConfigs['myregistry:5000'], { Name: 'myregistry:5000', Mirrors: [], Secure: false, Official: false });
    // The docker CLI lists them as dockerd's would be.
    const shown = await docker({ host: `unix://${sock}` }, ['info']);
    assert.match(shown.stdout, /Insecure Registries:\n\s+myregistry:5000\n\s+127\.0\.0\.0\/8\n\s+10\.20\.0\.0\/16\n/);
    assert.equal(readFileSync(pidfile, 'utf8').trim(), String(p.pid));
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
    assert.equal(existsSync(pidfile), false, 'the pidfile goes with the daemon');

    writeFileSync(cfg, JSON.stringify({ 'no-such-option': true }));
    const bad = await run(BERTHD, ['--config-file', cfg, '--data-root', join(dir, 'x'), '-H', `unix://${sock}`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /the following directives don't match any configuration option: no-such-option/);
    writeFileSync(cfg, '{not json');
    const broken = await run(BERTHD, ['--config-file', cfg, '--data-root', join(dir, 'x'), '-H', `unix://${sock}`]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /unable to configure berthd with file/);
    assert.equal(readFileSync(cfg, 'utf8'), '{not json');
  });

  it('refuses a TCP listener without mutual TLS', async (t) => {
    const dir = await tempDir(t, 'bt-tcp-');
    const r = await run(BERTHD, ['--data-root', join(dir, 'd'), '--exec-root', join(dir, 'r'), '-H', 'tcp://127.0.0.1:23750']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing to listen on tcp:\/\/127.0.0.1:23750 without mutual TLS/);
  });
});
