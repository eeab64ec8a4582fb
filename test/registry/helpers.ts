/**
 * Registry test helpers: an in-process registry on a free port, the real `serve` process, a
 * small HTTP client, pushes by hand, and an OCI image layout made from the busybox rootfs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Digest } from '../../src/core/digest.js';
import { defaultConfig } from '../../src/registry/config.js';
import type { RegistryConfig } from '../../src/registry/contract.js';
import { startRegistry, type RunningRegistry } from '../../src/registry/server.js';
import { REPO_ROOT } from '../helpers/daemon.js';
import { busyboxTar } from '../helpers/images.js';
import { tempDir } from '../helpers/tmp.js';

export const REGISTRY_MAIN = join(REPO_ROOT, 'dist', 'src', 'registry', 'main.js');

export const sha256 = (data: Buffer | string): Digest => `sha256:${createHash('sha256').update(data).digest('hex')}`;
export const sha512 = (data: Buffer | string): Digest => `sha512:${createHash('sha512').update(data).digest('hex')}`;

export type Ctx = Pick<TestContext, 'after'>;

/** A registry in this process on 127.0.0.1 and a free port, over a fresh root; closed after the test. */
export async function startTestRegistry(t: Ctx, overrides: Partial<RegistryConfig> = {}): Promise<RunningRegistry & { root: string }> {
  const root = overrides.root ?? (await tempDir(t, 'berth-registry-'));
  const config: RegistryConfig = { ...defaultConfig(), addr: '127.0.0.1:0', root, accessLog: 'off', ...overrides };
  const reg = await startRegistry(config);
  t.after(() => reg.close());
  return Object.assign(reg, { root });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json<T = unknown>(): T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string | Readable;
  /** CA certificate for https URLs. */
  ca?: Buffer;
}

/** One HTTP request, no connection reuse; the whole response body in memory. */
export function request(url: string, opts: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    // The path exactly as given: URL parsing would resolve `..` segments before they reach the server.
    const rawPath = url.slice(url.indexOf('/', url.indexOf('//') + 2));
    const target = { protocol: u.protocol, hostname: u.hostname, port: u.port, path: rawPath };
    const req = mod.request({ ...target, method: opts.method ?? 'GET', headers: opts.headers, agent: false, ca: opts.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8'), json: <T>() => JSON.parse(body.toString('utf8')) as T });
      });
    });
    req.on('error', reject);
    if (opts.body instanceof Readable) opts.body.pipe(req);
    else req.end(opts.body);
  });
}

/** The spec's error codes of a JSON error body. */
export function errorCodes(r: Reply): string[] {
  return r.json<{ errors: { code: string }[] }>().errors.map((e) => e.code);
}

/** Push a blob with the single-POST monolithic upload; returns its digest. */
export async function pushBlob(base: string, repo: string, data: Buffer | string, headers: Record<string, string> = {}): Promise<Digest> {
  const digest = sha256(data);
  const r = await request(`${base}/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: data, headers: { 'Content-Type': 'application/octet-stream', ...headers } });
  if (r.status !== 201) throw new Error(`blob push: ${r.status} ${r.text}`);
  return digest;
}

/** Push a manifest (any JSON value) by tag or digest; returns the response. */
export async function pushManifest(base: string, repo: string, ref: string, manifest: unknown, mediaType = 'application/vnd.oci.image.manifest.v1+json', headers: Record<string, string> = {}): Promise<Reply> {
  const body = Buffer.isBuffer(manifest) ? manifest : Buffer.from(JSON.stringify(manifest));
  return request(`${base}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body, headers: { 'Content-Type': mediaType, ...headers } });
}

/** A small image pushed by hand: one config, one layer; returns the manifest and its digest. */
export async function pushSmallImage(base: string, repo: string, tag: string, seed = 'x'): Promise<{ manifest: Buffer; digest: Digest; config: Digest; layer: Digest }> {
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed, rootfs: { type: 'layers', diff_ids: [] } }));
  const layerBytes = Buffer.from(`layer-${seed}`);
  const config = await pushBlob(base, repo, configBytes);
  const layer = await pushBlob(base, repo, layerBytes);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: configBytes.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: layerBytes.length }],
    }),
  );
  const r = await pushManifest(base, repo, tag, manifest);
  if (r.status !== 201) throw new Error(`manifest push: ${r.status} ${r.text}`);
  return { manifest, digest: sha256(manifest), config, layer };
}

export interface BusyboxLayout {
  dir: string;
  manifestDigest: Digest;
  layerDigest: Digest;
  configDigest: Digest;
}

let busyboxLayer: { gz: Buffer; diffId: Digest } | undefined;

/** An OCI image layout (tag `v1`) holding a runnable busybox image: one gzip layer of the rootfs. */
export async function busyboxLayout(dir: string): Promise<BusyboxLayout> {
  if (!busyboxLayer) {
    const tar = busyboxTar();
    busyboxLayer = { gz: gzipSync(tar, { level: 1 }), diffId: sha256(tar) };
  }
  const { gz, diffId } = busyboxLayer;
  const config = Buffer.from(
    JSON.stringify({
      created: '2024-01-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: 'busybox rootfs (test)' }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(gz), size: gz.length }],
    }),
  );
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  for (const b of [gz, config, manifest]) await writeFile(join(blobs, sha256(b).slice(7)), b);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }],
    }),
  );
  return { dir, manifestDigest: sha256(manifest), layerDigest: sha256(gz), configDigest: sha256(config) };
}

export interface ServeProcess {
  url: string;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM and wait; the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

export function waitExit(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

/** Stop and kill controls for a spawned server; it is killed after the test if still running. */
export function processHandle(t: Ctx, proc: ChildProcess, url: string, output: () => string): ServeProcess {
  const sp: ServeProcess = {
    url,
    proc,
    output,
    stop: async () => {
      proc.kill('SIGTERM');
      return waitExit(proc);
    },
    kill: async () => {
      proc.kill('SIGKILL');
      await waitExit(proc);
    },
  };
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) await sp.kill();
  });
  return sp;
}

/**
 * A registry command run as its own process (node dist/src/registry/main.js ...), ready once its
 * log says where it listens; killed after the test if still running.
 */
export async function spawnRegistryCommand(t: Ctx, args: string[]): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [REGISTRY_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /"msg":"(?:token server )?listening","url":"([^"]+)"/.exec(out);
      if (m) {
        proc.stderr?.off('data', check);
        proc.off('exit', onExit);
        resolve(m[1]);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`${args[0]} exited with ${code}: ${out}`));
    proc.stderr?.on('data', check);
    proc.once('exit', onExit);
  });
  return processHandle(t, proc, url, () => out);
}

/** The real `serve` process on a free port, access log off unless args say otherwise. */
export async function spawnServe(t: Ctx, args: string[]): Promise<ServeProcess> {
  return spawnRegistryCommand(t, ['serve', '--addr', '127.0.0.1:0', '--access-log', 'off', ...args]);
}

/** A free TCP port on 127.0.0.1 (for servers that cannot be told to pick one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = http.createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A readable that yields `size` bytes of a repeating pattern, in chunks, without holding them all. */
export function patternStream(size: number, seed = 0, chunk = 1 << 16): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return this.push(null);
      const n = Math.min(chunk, size - sent);
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = (sent + i + seed) & 0xff;
      sent += n;
      this.push(b);
    },
  });
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, JSON.stringify(value));
}
