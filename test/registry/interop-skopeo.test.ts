/**
 * skopeo (containers/image, the library behind podman and CRI-O) against berth registry, and the
 * same scenario against distribution 2.8.2, so the expectations are checked against a second
 * implementation: copies in and out with oci:, dir: and docker-archive:, plainly, with Basic
 * auth, with token auth (berth's token server, as its own process) and over TLS.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { tempDir } from '../helpers/tmp.js';
import { makeHtpasswd, makePki, makeSigningKey } from './certs.js';
import { startDistribution } from './distribution.js';
import { busyboxLayout, request, sha256, spawnRegistryCommand, spawnServe, writeJson, type BusyboxLayout, type Ctx } from './helpers.js';

type Impl = 'berth' | 'distribution';
type Mode = 'plain' | 'basic' | 'token' | 'tls';

const SERVICE = 'interop-registry';
const ISSUER = 'interop-issuer';

interface Skopeo {
  code: number;
  stdout: string;
  stderr: string;
}

function skopeo(args: string[]): Promise<Skopeo> {
  return new Promise((resolve) => {
    execFile('skopeo', args, { timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await skopeo(args);
  assert.equal(r.code, 0, `skopeo ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

/** How skopeo reaches one registry: host, TLS flags per direction, credentials. */
interface Target {
  host: string;
  url: string;
  src: string[];
  dest: string[];
  inspect: string[];
  creds?: string;
  ca?: Buffer;
}

async function startTarget(t: Ctx, impl: Impl, mode: Mode): Promise<Target> {
  const dir = await tempDir(t, 'berth-interop-');
  let url: string;
  let ca: Buffer | undefined;
  let creds: string | undefined;
  let tlsFlags = { src: ['--src-tls-verify=false'], dest: ['--dest-tls-verify=false'], inspect: ['--tls-verify=false'] };
  if (mode === 'plain') {
    url = impl === 'berth' ? (await spawnServe(t, ['--root', join(dir, 'root')])).url : (await startDistribution(t)).url;
  } else if (mode === 'basic') {
    const file = join(dir, 'htpasswd');
    makeHtpasswd(file, { alice: 'secret' });
    creds = 'alice:secret';
    url = impl === 'berth' ? (await spawnServe(t, ['--root', join(dir, 'root'), '--auth', `htpasswd:${file}`])).url : (await startDistribution(t, { htpasswd: { path: file, realm: 'basic-realm' } })).url;
  } else if (mode === 'token') {
    const signing = makeSigningKey(dir, 'token', 'rsa');
    const users = join(dir, 'users.json');
    await writeJson(users, {
      users: { alice: bcrypt.hashSync('secret', 4) },
      access: [
        { account: 'alice', repository: '**', actions: ['pull', 'push', 'delete'] },
        { anonymous: true, repository: 'public/*', actions: ['pull'] },
      ],
    });
    const ts = await spawnRegistryCommand(t, ['token-server', '--addr', '127.0.0.1:0', '--key', signing.key, '--cert', signing.cert, '--issuer', ISSUER, '--service', SERVICE, '--users', users, '--access-log', 'off']);
    const realm = ts.url;
    creds = 'alice:secret';
    if (impl === 'berth') {
      const tokenFile = join(dir, 'token-auth.json');
      await writeJson(tokenFile, { realm, service: SERVICE, issuer: ISSUER, rootCertBundle: signing.cert });
      url = (await spawnServe(t, ['--root', join(dir, 'root'), '--auth', `token:${tokenFile}`])).url;
    } else {
      url = (await startDistribution(t, { token: { realm, service: SERVICE, issuer: ISSUER, rootCertBundle: signing.cert } })).url;
    }
  } else {
    const pki = makePki(dir);
    const certDir = join(dir, 'certs.d');
    await mkdir(certDir);
    await copyFile(pki.caCert, join(certDir, 'ca.crt'));
    ca = await readFile(pki.caCert);
    url =
      impl === 'berth'
        ? (await spawnServe(t, ['--root', join(dir, 'root'), '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey])).url
        : (await startDistribution(t, { tls: { cert: pki.serverCert, key: pki.serverKey, ca } })).url;
    tlsFlags = { src: ['--src-cert-dir', certDir], dest: ['--dest-cert-dir', certDir], inspect: ['--cert-dir', certDir] };
  }
  const host = new URL(url).host;
  const src = [...tlsFlags.src, ...(creds ? ['--src-creds', creds] : [])];
  const dest = [...tlsFlags.dest, ...(creds ? ['--dest-creds', creds] : [])];
  const inspect = [...tlsFlags.inspect, ...(creds ? ['--creds', creds] : [])];
  return { host, url, src, dest, inspect, creds, ca };
}

/** The scenario every registry and mode must pass. */
async function copyInAndOut(t: Ctx, target: Target, layout: BusyboxLayout): Promise<void> {
  const work = await tempDir(t, 'berth-skopeo-');
  const image = `docker://${target.host}/test/busybox:v1`;
  await ok(['copy', ...target.dest, `oci:${layout.dir}:v1`, image]);

  const dirOut = join(work, 'dir');
  await ok(['copy', ...target.src, image, `dir:${dirOut}`]);
  assert.equal(sha256(await readFile(join(dirOut, 'manifest.json'))), layout.manifestDigest, 'dir: keeps the manifest bytes');
  assert.equal(sha256(await readFile(join(dirOut, layout.layerDigest.slice(7)))), layout.layerDigest);

  const ociOut = join(work, 'oci');
  await ok(['copy', ...target.src, image, `oci:${ociOut}:v1`]);
  const index = JSON.parse(await readFile(join(ociOut, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  assert.equal(index.manifests[0].digest, layout.manifestDigest);

  const archive = join(work, 'image.tar');
  await ok(['copy', ...target.src, image, `docker-archive:${archive}:test/busybox:v1`]);
  assert.ok((await stat(archive)).size > 500_000);
  await ok(['copy', ...target.dest, `docker-archive:${archive}`, `docker://${target.host}/test/archived:v1`]);
  const inspected = JSON.parse(await ok(['inspect', ...target.inspect, `docker://${target.host}/test/archived:v1`])) as { Digest: string; Layers: string[] };
  assert.equal(inspected.Layers.length, 1);
  assert.match(inspected.Digest, /^sha256:[a-f0-9]{64}$/);
}

for (const impl of ['berth', 'distribution'] as const) {
  describe(`skopeo interop: ${impl}`, () => {
    it('copies in and out with oci:, dir: and docker-archive:, lists tags, mounts across repositories and deletes', async (t) => {
      const layout = await busyboxLayout(await tempDir(t));
      const target = await startTarget(t, impl, 'plain');
      await copyInAndOut(t, target, layout);
      const tags = JSON.parse(await ok(['list-tags', ...target.inspect, `docker://${target.host}/test/busybox`])) as { Tags: string[] };
      assert.deepEqual(tags.Tags, ['v1']);
      await ok(['copy', ...target.src, ...target.dest, `docker://${target.host}/test/busybox:v1`, `docker://${target.host}/test/other:v1`]);
      const layer = await request(`${target.url}/v2/test/other/blobs/${layout.layerDigest}`, { method: 'HEAD' });
      assert.equal(layer.status, 200);
      await ok(['delete', ...target.inspect, `docker://${target.host}/test/other:v1`]);
      // distribution answers 404 for an OCI manifest unless Accept lists its type.
      const accept = { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } };
      assert.equal((await request(`${target.url}/v2/test/other/manifests/${layout.manifestDigest}`, accept)).status, 404);
      assert.equal((await request(`${target.url}/v2/test/busybox/manifests/v1`, accept)).status, 200);
    });

    it('works with Basic auth, and refuses anonymous pulls', async (t) => {
      const layout = await busyboxLayout(await tempDir(t));
      const target = await startTarget(t, impl, 'basic');
      await copyInAndOut(t, target, layout);
      const anon = await skopeo(['inspect', '--tls-verify=false', `docker://${target.host}/test/busybox:v1`]);
      assert.notEqual(anon.code, 0);
      assert.match(anon.stderr, /unauthorized|authentication required/i);
    });

    it('works with token auth from berth token-server, with anonymous pull only where allowed', async (t) => {
      const layout = await busyboxLayout(await tempDir(t));
      const target = await startTarget(t, impl, 'token');
      await copyInAndOut(t, target, layout);
      await ok(['copy', ...target.src, ...target.dest, `docker://${target.host}/test/busybox:v1`, `docker://${target.host}/public/busybox:v1`]);
      const work = await tempDir(t);
      await ok(['copy', '--src-tls-verify=false', `docker://${target.host}/public/busybox:v1`, `dir:${join(work, 'anon')}`]);
      const privatePull = await skopeo(['inspect', '--tls-verify=false', `docker://${target.host}/test/busybox:v1`]);
      assert.notEqual(privatePull.code, 0, 'anonymous pull of a private repository');
      const anonPush = await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout.dir}:v1`, `docker://${target.host}/public/pushed:v1`]);
      assert.notEqual(anonPush.code, 0, 'anonymous push');
      assert.match(anonPush.stderr, /unauthorized|denied|authentication required|insufficient/i);
    });

    it('works over TLS with a certificate from a test CA, and fails without trusting it', async (t) => {
      const layout = await busyboxLayout(await tempDir(t));
      const target = await startTarget(t, impl, 'tls');
      assert.ok(target.url.startsWith('https://'));
      await copyInAndOut(t, target, layout);
      const untrusted = await skopeo(['inspect', `docker://${target.host}/test/busybox:v1`]);
      assert.notEqual(untrusted.code, 0);
      assert.match(untrusted.stderr, /x509|certificate/i);
      assert.equal((await request(`${target.url}/v2/`, { ca: target.ca })).status, 200);
    });
  });
}
