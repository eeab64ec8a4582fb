/**
 * Operations: health, Prometheus metrics, the JSON-lines access log, graceful shutdown that
 * finishes running transfers (and its bound), and configuration from a file and flags.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as net from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { parseDuration, resolveConfig } from '../../src/registry/config.js';
import { tempDir } from '../helpers/tmp.js';
import { makeHtpasswd } from './certs.js';
import { REGISTRY_MAIN, pushBlob, request, sha256, spawnServe, startTestRegistry, writeJson } from './helpers.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/** Wait until `n` uploads are in flight (the metrics request itself counts as one more). */
async function waitForUploads(url: string, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (new RegExp(`^berth_registry_http_requests_in_flight ${n + 1}$`, 'm').test((await request(`${url}/metrics`)).text)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${n} uploads never were in flight`);
}

describe('registry operations', () => {
  it('answers the health check and exposes Prometheus metrics of requests, bytes, latency and uploads', async (t) => {
    const reg = await startTestRegistry(t);
    const health = await request(`${reg.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const data = randomBytes(100_000);
    const d = await pushBlob(reg.url, 'm', data);
    await request(`${reg.url}/v2/m/blobs/${d}`);
    await request(`${reg.url}/v2/m/blobs/${sha256('missing')}`);
    const r = await request(`${reg.url}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const m = r.text;
    assert.match(m, /^berth_registry_http_requests_total\{route="blob",method="GET",code="200"\} 1$/m);
    assert.match(m, /^berth_registry_http_requests_total\{route="blob",method="GET",code="404"\} 1$/m);
    assert.match(m, /^berth_registry_uploads_total\{outcome="started"\} 1$/m);
    assert.match(m, /^berth_registry_uploads_total\{outcome="completed"\} 1$/m);
    assert.match(m, /^berth_registry_http_request_duration_seconds_bucket\{route="blob",le="\+Inf"\} 2$/m);
    assert.match(m, /^berth_registry_http_request_duration_seconds_count\{route="upload"\} 1$/m);
    const received = Number(/^berth_registry_http_received_bytes_total (\d+)$/m.exec(m)?.[1]);
    const sent = Number(/^berth_registry_http_sent_bytes_total (\d+)$/m.exec(m)?.[1]);
    assert.equal(received, data.length);
    assert.ok(sent >= data.length, `sent ${sent}`);
    assert.match(m, /^process_resident_memory_bytes \d+$/m);
    assert.match(m, /^# TYPE berth_registry_http_requests_in_flight gauge$/m);
  });

  it('writes one JSON line per request to the access log, with the user', async (t) => {
    const dir = await tempDir(t);
    const htpasswd = join(dir, 'htpasswd');
    makeHtpasswd(htpasswd, { alice: 'pw' });
    const log = join(dir, 'access.log');
    const reg = await spawnServe(t, ['--root', join(dir, 'root'), '--auth', `htpasswd:${htpasswd}`, '--access-log', log]);
    await pushBlob(reg.url, 'logged', 'some bytes', { Authorization: basic('alice', 'pw') });
    await request(`${reg.url}/v2/logged/tags/list`);
    assert.equal(await reg.stop(), 0);
    const lines = (await readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.equal(lines[0].method, 'POST');
    assert.equal(lines[0].uri, `/v2/logged/blobs/uploads/?digest=${sha256('some bytes')}`);
    assert.equal(lines[0].status, 201);
    assert.equal(lines[0].user, 'alice');
    assert.equal(lines[0].bytesIn, 'some bytes'.length);
    assert.equal(typeof lines[0].durationMs, 'number');
    assert.equal(lines[1].status, 401);
    assert.equal(lines[1].user, '');
  });

  it('shuts down gracefully on SIGTERM: stops accepting, finishes the running upload, exits 0', async (t) => {
    const root = join(await tempDir(t), 'root');
    const reg = await spawnServe(t, ['--root', root]);
    const data = randomBytes(2 << 20);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const body = Readable.from(
      (async function* () {
        yield data.subarray(0, 1 << 20);
        await released;
        yield data.subarray(1 << 20);
      })(),
    );
    const upload = request(`${reg.url}/v2/graceful/blobs/uploads/?digest=${sha256(data)}`, { method: 'POST', body });
    await waitForUploads(reg.url, 1);
    reg.proc.kill('SIGTERM');
    for (let i = 0; i < 500 && !(await refusesConnections(reg.url)); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await refusesConnections(reg.url), true, 'no new connections once stopping');
    release();
    const done = await upload;
    assert.equal(done.status, 201);
    const exitCode = await new Promise<number | null>((resolve) => (reg.proc.exitCode !== null ? resolve(reg.proc.exitCode) : reg.proc.once('exit', resolve)));
    assert.equal(exitCode, 0);
    const again = await spawnServe(t, ['--root', root]);
    assert.equal(sha256((await request(`${again.url}/v2/graceful/blobs/${sha256(data)}`)).body), sha256(data));
  });

  it('bounds the wait for transfers that never finish', async (t) => {
    const reg = await spawnServe(t, ['--root', join(await tempDir(t), 'root'), '--shutdown-timeout', '300ms']);
    const stalled = Readable.from(
      (async function* () {
        yield Buffer.alloc(1000);
        await new Promise(() => {});
      })(),
    );
    const upload = request(`${reg.url}/v2/stall/blobs/uploads/?digest=${sha256('x')}`, { method: 'POST', body: stalled }).catch(() => 'cut');
    await waitForUploads(reg.url, 1);
    assert.equal(await reg.stop(), 0);
    assert.equal(await upload, 'cut');
  });

  it('reads a JSON config file, with flags over it', async (t) => {
    const dir = await tempDir(t);
    makeHtpasswd(join(dir, 'users.htpasswd'), { bob: 'pw' });
    const config = join(dir, 'registry.json');
    await writeJson(config, { root: 'data', auth: { htpasswd: { path: 'users.htpasswd', realm: 'from-config' } }, gc: { grace: '2h', interval: '6h' }, accessLog: 'off' });
    const resolved = await resolveConfig({ config, readOnly: true });
    assert.equal(resolved.root, join(dir, 'data'));
    assert.deepEqual(resolved.auth, { kind: 'htpasswd', file: join(dir, 'users.htpasswd'), realm: 'from-config' });
    assert.equal(resolved.gc.graceMs, 2 * 3_600_000);
    assert.equal(resolved.readOnly, true);

    const reg = await spawnServe(t, ['--config', config, '--read-only']);
    const anon = await request(`${reg.url}/v2/`);
    assert.equal(anon.headers['www-authenticate'], 'Basic realm="from-config"');
    const push = await request(`${reg.url}/v2/x/blobs/uploads/`, { method: 'POST', headers: { Authorization: basic('bob', 'pw') } });
    assert.equal(push.status, 405, 'the --read-only flag applies over the file');

    await writeJson(config, { root: 'data', nonsense: true });
    const run = promisify(execFile);
    await assert.rejects(run(process.execPath, [REGISTRY_MAIN, 'serve', '--config', config]), (e: { code: number; stderr: string }) => e.code === 1 && /nonsense/.test(e.stderr));
  });

  it('parses durations with units, and refuses nonsense', () => {
    assert.equal(parseDuration('90'), 90_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('7d'), 7 * 86_400_000);
    assert.throws(() => parseDuration('soon'), /invalid duration/);
    assert.throws(() => parseDuration('5 minutes'), /invalid duration/);
  });
});
