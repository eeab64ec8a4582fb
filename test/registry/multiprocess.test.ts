/**
 * Two `serve` processes over one storage root, the way a registry is scaled out behind a load
 * balancer: concurrent pushes of the same and of different blobs and manifests through both,
 * upload sessions that move between them, and a chunk raced through both at once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { pushBlob, pushManifest, request, sha256, spawnServe } from './helpers.js';
import { blobCount, corruptBlobs } from './storage-check.js';

describe('two serve processes over one root', () => {
  it('stay consistent under concurrent pushes of the same and different blobs and manifests', async (t) => {
    const root = join(await tempDir(t), 'root');
    const a = await spawnServe(t, ['--root', root]);
    const b = await spawnServe(t, ['--root', root]);
    const shared = Array.from({ length: 6 }, (_, i) => randomBytes(200_000 + i));
    const own = Array.from({ length: 12 }, () => randomBytes(50_000));

    // The same blobs through both processes at once, into the same and into different repositories;
    // different blobs spread over both.
    await Promise.all([
      ...shared.flatMap((data) => [pushBlob(a.url, 'same/repo', data), pushBlob(b.url, 'same/repo', data), pushBlob(b.url, 'other/repo', data)]),
      ...own.map((data, i) => pushBlob(i % 2 ? a.url : b.url, `spread/r${i % 3}`, data)),
    ]);
    for (const data of shared) {
      for (const [url, repo] of [[a.url, 'same/repo'], [b.url, 'other/repo']]) {
        const r = await request(`${url}/v2/${repo}/blobs/${sha256(data)}`);
        assert.equal(r.status, 200);
        assert.equal(sha256(r.body), sha256(data));
      }
    }
    assert.equal(await blobCount(root), shared.length + own.length, 'one stored copy per digest');

    // Manifests: different tags through both, and one tag pushed through both at once.
    const config = await pushBlob(a.url, 'same/repo', '{}');
    const manifests = shared.map((data) =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(data), size: data.length }],
        }),
      ),
    );
    const puts = await Promise.all([
      ...manifests.map((m, i) => pushManifest(i % 2 ? a.url : b.url, 'same/repo', `t${i}`, m)),
      ...manifests.map((m, i) => pushManifest(i % 2 ? b.url : a.url, 'same/repo', 'contended', m)),
    ]);
    assert.ok(puts.every((r) => r.status === 201));
    const viaA = await request(`${a.url}/v2/same/repo/manifests/contended`);
    const viaB = await request(`${b.url}/v2/same/repo/manifests/contended`);
    assert.equal(viaA.headers['docker-content-digest'], viaB.headers['docker-content-digest'], 'both processes see the same winner');
    assert.ok(manifests.some((m) => sha256(m) === viaA.headers['docker-content-digest']));
    const tags = (await request(`${b.url}/v2/same/repo/tags/list`)).json<{ tags: string[] }>().tags;
    assert.deepEqual(tags, ['contended', 't0', 't1', 't2', 't3', 't4', 't5']);
    assert.deepEqual((await request(`${a.url}/v2/_catalog`)).json(), { repositories: ['other/repo', 'same/repo', 'spread/r0', 'spread/r1', 'spread/r2'] });

    assert.deepEqual(await corruptBlobs(root), []);
    assert.deepEqual(await readdir(join(root, 'uploads')), [], 'no upload left behind');
    assert.deepEqual(await readdir(join(root, 'content', 'ingest')), []);
  });

  it('move an upload session between processes, and apply a chunk raced through both exactly once', async (t) => {
    const root = join(await tempDir(t), 'root');
    const a = await spawnServe(t, ['--root', root]);
    const b = await spawnServe(t, ['--root', root]);
    const data = randomBytes(3 << 20);
    const third = data.length / 3;
    const post = await request(`${a.url}/v2/move/blobs/uploads/`, { method: 'POST' });
    const loc = String(post.headers.location);
    const chunk = (url: string, i: number) =>
      request(`${url}${loc}`, { method: 'PATCH', body: data.subarray(i * third, (i + 1) * third), headers: { 'Content-Range': `${i * third}-${(i + 1) * third - 1}` } });
    assert.equal((await chunk(a.url, 0)).status, 202);
    assert.equal((await request(`${b.url}${loc}`)).headers.range, `0-${third - 1}`, 'B sees what A wrote');
    // The same second chunk through both at once: one applies it, the other finds it applied.
    const raced = await Promise.all([chunk(a.url, 1), chunk(b.url, 1)]);
    assert.deepEqual(raced.map((r) => r.status).sort(), [202, 416]);
    assert.equal((await chunk(b.url, 2)).status, 202);
    // A completes: its in-memory hash saw only part of the bytes and catches up from the file.
    const put = await request(`${a.url}${loc}?digest=${sha256(data)}`, { method: 'PUT' });
    assert.equal(put.status, 201);
    const got = await request(`${b.url}/v2/move/blobs/${sha256(data)}`);
    assert.equal(sha256(got.body), sha256(data));
    assert.equal((await request(`${b.url}${loc}`)).status, 404, 'the session is gone for both');
  });
});
