/**
 * Online garbage collection: what is swept and what is kept, upload leftovers, dry runs, the
 * lock, the schedule, the CLI against a root a server is using, and pushes racing a sweep.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import type { Digest } from '../../src/core/digest.js';
import type { GcReport } from '../../src/registry/contract.js';
import { tryLockExclusive } from '../../src/sys/libc.js';
import { REGISTRY_MAIN, pushBlob, pushManifest, pushSmallImage, request, startTestRegistry } from './helpers.js';

const HOUR = 3_600_000;

/** Make blobs (or any files) look last touched `ms` ago. */
async function age(paths: string[], ms: number): Promise<void> {
  const then = new Date(Date.now() - ms);
  for (const p of paths) await utimes(p, then, then);
}

/** A repository's link to a blob (written when the blob was pushed or mounted there). */
function link(root: string, repo: string, digest: Digest): string {
  return join(root, 'repositories', repo, '_blobs', 'sha256', digest.slice('sha256:'.length));
}

describe('registry garbage collection', () => {
  it('removes old unreferenced blobs and keeps referenced and young ones', async (t) => {
    const reg = await startTestRegistry(t);
    const { content } = reg.core.storage;
    const img = await pushSmallImage(reg.url, 'keep', 'v1');
    const stray = await pushBlob(reg.url, 'keep', 'stray bytes');
    const young = await pushBlob(reg.url, 'keep', 'young stray');
    await age([img.digest, img.config, img.layer, stray].map((d) => content.path(d)), 2 * HOUR);
    await age([img.config, img.layer, stray].map((d) => link(reg.root, 'keep', d)), 2 * HOUR);

    const report = await reg.gc();
    assert.equal(report.ran, true);
    assert.deepEqual(report.removedBlobs, [stray]);
    assert.equal(report.freedBytes, 'stray bytes'.length);
    assert.equal(report.removedLinks, 1, 'the stray blob left the repository too');
    assert.equal((await request(`${reg.url}/v2/keep/blobs/${stray}`)).status, 404);
    assert.equal((await request(`${reg.url}/v2/keep/blobs/${young}`)).status, 200);
    assert.equal((await request(`${reg.url}/v2/keep/manifests/v1`)).status, 200);
    for (const d of [img.config, img.layer]) assert.equal((await request(`${reg.url}/v2/keep/blobs/${d}`)).status, 200);
  });

  it('frees the blobs of a deleted manifest once they are old, and keeps what another repository uses', async (t) => {
    const reg = await startTestRegistry(t);
    const { content } = reg.core.storage;
    const a = await pushSmallImage(reg.url, 'a', 'v1', 'same');
    const b = await pushSmallImage(reg.url, 'b', 'v1', 'same');
    assert.equal(a.digest, b.digest);
    const own = await pushSmallImage(reg.url, 'a', 'v2', 'only-a');
    await age([a.digest, a.config, a.layer, own.digest, own.config, own.layer].map((d) => content.path(d)), 2 * HOUR);
    await age([a.config, a.layer, own.config, own.layer].map((d) => link(reg.root, 'a', d)), 2 * HOUR);
    assert.equal((await request(`${reg.url}/v2/a/manifests/${own.digest}`, { method: 'DELETE' })).status, 202);
    assert.equal((await request(`${reg.url}/v2/a/manifests/${a.digest}`, { method: 'DELETE' })).status, 202);
    const report = await reg.gc();
    assert.deepEqual(new Set(report.removedBlobs), new Set([own.digest, own.config, own.layer]));
    assert.equal((await request(`${reg.url}/v2/b/manifests/v1`)).status, 200, 'b still has the shared image');
    assert.equal((await request(`${reg.url}/v2/b/blobs/${a.layer}`)).status, 200);
    assert.equal((await request(`${reg.url}/v2/a/blobs/${a.layer}`)).status, 404, "a's links to the shared blobs are gone");
  });

  it('reports without removing anything in a dry run', async (t) => {
    const reg = await startTestRegistry(t);
    const stray = await pushBlob(reg.url, 'dry', 'stray');
    await age([reg.core.storage.content.path(stray)], 2 * HOUR);
    const report = await reg.gc(true);
    assert.deepEqual(report.removedBlobs, [stray]);
    assert.equal((await request(`${reg.url}/v2/dry/blobs/${stray}`)).status, 200);
  });

  it('removes abandoned upload sessions and keeps active ones', async (t) => {
    const reg = await startTestRegistry(t);
    const old = await request(`${reg.url}/v2/up/blobs/uploads/`, { method: 'POST', body: 'half', headers: { 'Content-Length': 4 } });
    const active = await request(`${reg.url}/v2/up/blobs/uploads/`, { method: 'POST' });
    const oldId = String(old.headers['docker-upload-uuid']);
    const dir = join(reg.root, 'uploads', oldId);
    await age([join(dir, 'data'), join(dir, 'info.json'), dir], 48 * HOUR);
    const report = await reg.gc();
    assert.equal(report.removedUploads, 1);
    assert.equal((await request(`${reg.url}${old.headers.location}`)).status, 404);
    assert.equal((await request(`${reg.url}${active.headers.location}`)).status, 204);
  });

  it('keeps an old blob a push relies on: HEAD, re-upload and mount all make it young again', async (t) => {
    const reg = await startTestRegistry(t);
    const { content } = reg.core.storage;
    const viaHead = await pushBlob(reg.url, 'p', 'found by HEAD');
    const viaUpload = await pushBlob(reg.url, 'p', 'uploaded again');
    const viaMount = await pushBlob(reg.url, 'other', 'mounted');
    await age([viaHead, viaUpload, viaMount].map((d) => content.path(d)), 2 * HOUR);
    assert.equal((await request(`${reg.url}/v2/p/blobs/${viaHead}`, { method: 'HEAD' })).status, 200);
    await pushBlob(reg.url, 'p', 'uploaded again');
    assert.equal((await request(`${reg.url}/v2/p/blobs/uploads/?mount=${viaMount}&from=other`, { method: 'POST' })).status, 201);
    const report = await reg.gc();
    assert.deepEqual(report.removedBlobs, []);
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: viaHead, size: 13 },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: viaUpload, size: 14 },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: viaMount, size: 7 },
      ],
    };
    assert.equal((await pushManifest(reg.url, 'p', 'v1', manifest)).status, 201);
  });

  it('never leaves a pushed manifest without its blobs when pushes race sweeps', async (t) => {
    const reg = await startTestRegistry(t, { gc: { intervalMs: 0, graceMs: 1000, uploadGraceMs: HOUR } });
    const { content } = reg.core.storage;
    const layers: Digest[] = [];
    for (let i = 0; i < 24; i++) layers.push(await pushBlob(reg.url, 'race', `layer ${i}`));
    const config = await pushBlob(reg.url, 'race', '{}');
    await age([...layers, config].map((d) => content.path(d)), 10_000);
    const pushes = layers.map(async (layer, i) => {
      // What a client does: HEAD says the blob is there, so it goes straight to the manifest.
      if ((await request(`${reg.url}/v2/race/blobs/${layer}`, { method: 'HEAD' })).status !== 200) return undefined;
      const m = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: `layer ${i}`.length }],
      };
      const r = await pushManifest(reg.url, 'race', `t${i}`, m);
      return r.status === 201 ? layer : undefined;
    });
    const sweeps: Promise<GcReport>[] = [];
    for (let i = 0; i < 4; i++) sweeps.push(reg.gc());
    const pushed = (await Promise.all(pushes)).filter((d): d is Digest => d !== undefined);
    await Promise.all(sweeps);
    await reg.gc();
    for (const layer of pushed) assert.equal(await content.has(layer), true, `${layer} of a pushed manifest`);
    assert.equal(await content.has(config), pushed.length > 0);
  });

  it('does nothing while another process holds the GC lock, and puts back blobs a dead GC left in trash', async (t) => {
    const reg = await startTestRegistry(t);
    const lock = await open(join(reg.root, 'gc.lock'), 'a');
    t.after(() => lock.close());
    assert.equal(tryLockExclusive(lock.fd), true);
    assert.equal((await reg.gc()).ran, false);
    await lock.close();

    const d = await pushBlob(reg.url, 'tr', 'in the trash');
    const hex = d.slice('sha256:'.length);
    await rename(reg.core.storage.content.path(d), join(reg.root, 'trash', `sha256-${hex}-0badf00d`));
    assert.equal((await request(`${reg.url}/v2/tr/blobs/${d}`)).status, 404);
    assert.equal((await reg.gc()).ran, true);
    assert.equal((await request(`${reg.url}/v2/tr/blobs/${d}`)).text, 'in the trash');
    assert.deepEqual(await readdir(join(reg.root, 'trash')), []);
  });

  it('runs on a schedule while serving', async (t) => {
    const reg = await startTestRegistry(t, { gc: { intervalMs: 100, graceMs: HOUR, uploadGraceMs: HOUR } });
    const stray = await pushBlob(reg.url, 's', 'scheduled');
    await age([reg.core.storage.content.path(stray)], 2 * HOUR);
    let status = 200;
    for (let i = 0; i < 200 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      status = (await request(`${reg.url}/v2/s/blobs/${stray}`)).status;
    }
    assert.equal(status, 404);
    assert.match((await request(`${reg.url}/metrics`)).text, /^berth_registry_gc_removed_blobs_total 1$/m);
  });

  it('runs from the CLI against a root a server is using (dry run, then for real)', async (t) => {
    const reg = await startTestRegistry(t);
    const stray = await pushBlob(reg.url, 'cli', randomBytes(100));
    await pushSmallImage(reg.url, 'cli', 'v1');
    await age([reg.core.storage.content.path(stray)], 2 * HOUR);
    const run = promisify(execFile);
    const dry = await run(process.execPath, [REGISTRY_MAIN, 'gc', '--root', reg.root, '--dry-run']);
    assert.match(dry.stdout, new RegExp(`would remove blob ${stray}`));
    assert.match(dry.stdout, /would remove 1 blobs \(100 bytes\)/);
    assert.equal((await request(`${reg.url}/v2/cli/blobs/${stray}`)).status, 200);
    const real = await run(process.execPath, [REGISTRY_MAIN, 'gc', '--root', reg.root, '--json']);
    const report = JSON.parse(real.stdout) as GcReport;
    assert.deepEqual(report.removedBlobs, [stray]);
    assert.equal(report.manifests, 1);
    assert.equal((await request(`${reg.url}/v2/cli/blobs/${stray}`)).status, 404);
    assert.equal((await request(`${reg.url}/v2/cli/manifests/v1`)).status, 200);
  });
});
