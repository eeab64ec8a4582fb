/**
 * Faults: SIGKILL during 20 concurrent uploads, a disk that fills up (a small tmpfs as the root),
 * and clients that go away mid-transfer. Each must end with the spec's error or, after a
 * restart, with no corrupt or half-visible blob and every completed upload intact.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { mount, umount2 } from '../../src/sys/libc.js';
import { tempDir } from '../helpers/tmp.js';
import { errorCodes, pushBlob, request, sha256, spawnServe, startTestRegistry } from './helpers.js';
import { corruptBlobs } from './storage-check.js';

/** A body that sends `head` and then waits for `release` before sending the rest (it never comes for a killed server). */
function heldBody(data: Buffer, head: number, release: Promise<void>): Readable {
  return Readable.from(
    (async function* () {
      yield data.subarray(0, head);
      await release;
      yield data.subarray(head);
    })(),
  );
}

describe('registry faults', () => {
  it('after SIGKILL during 20 concurrent uploads, keeps every completed blob intact and shows no partial one', async (t) => {
    const root = join(await tempDir(t), 'root');
    const first = await spawnServe(t, ['--root', root]);
    let release!: () => void;
    const never = new Promise<void>((resolve) => (release = resolve));
    t.after(() => release());

    const blobs = Array.from({ length: 20 }, (_, i) => randomBytes(256 * 1024 * (1 + (i % 4))));
    // Ten complete; ten are cut off by the kill: five single-POST uploads, five sessions mid-PATCH.
    const completing = blobs.slice(0, 10).map((data, i) => (i % 2 ? pushBlob(first.url, 'crash/a', data) : pushBlob(first.url, 'crash/b', data)));
    const sessions: string[] = [];
    const cut: Promise<unknown>[] = [];
    for (const [i, data] of blobs.slice(10).entries()) {
      if (i % 2 === 0) {
        cut.push(request(`${first.url}/v2/crash/a/blobs/uploads/?digest=${sha256(data)}`, { method: 'POST', body: heldBody(data, 100_000, never) }).catch(() => undefined));
      } else {
        const post = await request(`${first.url}/v2/crash/b/blobs/uploads/`, { method: 'POST' });
        sessions.push(String(post.headers.location));
        cut.push(request(`${first.url}${post.headers.location}`, { method: 'PATCH', body: heldBody(data, 100_000, never) }).catch(() => undefined));
      }
    }
    const done = await Promise.all(completing);
    assert.deepEqual(done, blobs.slice(0, 10).map(sha256));
    // Every cut-off upload has sent its first bytes; make sure the server has them before the kill.
    for (const loc of sessions) {
      let range = '';
      for (let i = 0; i < 1000 && range !== `0-${100_000 - 1}`; i++) {
        range = String((await request(`${first.url}${loc}`)).headers.range);
        if (range !== `0-${100_000 - 1}`) await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(range, `0-${100_000 - 1}`, 'the first bytes of the cut-off session arrived');
    }
    await first.kill();
    await Promise.all(cut);

    const second = await spawnServe(t, ['--root', root]);
    assert.deepEqual(await corruptBlobs(root), [], 'no stored blob differs from its digest');
    for (const [i, data] of blobs.slice(0, 10).entries()) {
      const got = await request(`${second.url}/v2/${i % 2 ? 'crash/a' : 'crash/b'}/blobs/${sha256(data)}`);
      assert.equal(got.status, 200);
      assert.equal(sha256(got.body), sha256(data), `completed upload ${i} intact`);
    }
    for (const data of blobs.slice(10)) {
      for (const repo of ['crash/a', 'crash/b']) assert.equal((await request(`${second.url}/v2/${repo}/blobs/${sha256(data)}`, { method: 'HEAD' })).status, 404, 'not half-visible');
    }
    // The interrupted sessions survived the crash with what they had received, and can finish.
    for (const [j, loc] of sessions.entries()) {
      const data = blobs[11 + 2 * j];
      const status = await request(`${second.url}${loc}`);
      assert.equal(status.status, 204);
      const have = Number(String(status.headers.range).split('-')[1]) + 1;
      assert.equal(have, 100_000, 'the session kept what it had received');
      const rest = await request(`${second.url}${loc}`, { method: 'PATCH', body: data.subarray(have), headers: { 'Content-Range': `${have}-${data.length - 1}` } });
      assert.equal(rest.status, 202);
      assert.equal((await request(`${second.url}${loc}?digest=${sha256(data)}`, { method: 'PUT' })).status, 201);
    }
    assert.deepEqual(await corruptBlobs(root), []);
  });

  it('answers 503 when the disk fills up, keeps nothing partial, and works again once there is space', async (t) => {
    const dir = await tempDir(t);
    const root = join(dir, 'small');
    await mkdir(root);
    mount('tmpfs', root, 'tmpfs', 0, 'size=6m');
    const reg = await startTestRegistry(t, { root });
    try {
      const big = randomBytes(8 << 20);
      const full = await request(`${reg.url}/v2/disk/blobs/uploads/?digest=${sha256(big)}`, { method: 'POST', body: big });
      assert.equal(full.status, 503);
      assert.deepEqual(errorCodes(full), ['UNAVAILABLE']);
      assert.match(full.text, /no space left on device/);
      assert.equal((await request(`${reg.url}/v2/disk/blobs/${sha256(big)}`, { method: 'HEAD' })).status, 404);

      // A streamed chunk that runs out of space rolls back; after space is freed it resumes.
      const ballast = join(root, 'ballast');
      await writeFile(ballast, Buffer.alloc(3 << 20));
      const data = randomBytes(2 << 20);
      const post = await request(`${reg.url}/v2/disk/blobs/uploads/`, { method: 'POST' });
      const loc = `${reg.url}${post.headers.location}`;
      assert.equal((await request(loc, { method: 'PATCH', body: data.subarray(0, 1000), headers: { 'Content-Range': '0-999' } })).status, 202);
      const fill = await request(loc, { method: 'PATCH', body: Buffer.concat([data.subarray(1000), randomBytes(4 << 20)]) });
      assert.equal(fill.status, 503);
      assert.equal((await request(loc)).headers.range, '0-999', 'the failed chunk left nothing behind');
      await rm(ballast);
      assert.equal((await request(loc, { method: 'PATCH', body: data.subarray(1000), headers: { 'Content-Range': `1000-${data.length - 1}` } })).status, 202);
      assert.equal((await request(`${loc}?digest=${sha256(data)}`, { method: 'PUT' })).status, 201);
      assert.equal(sha256((await request(`${reg.url}/v2/disk/blobs/${sha256(data)}`)).body), sha256(data));
      assert.deepEqual(await corruptBlobs(root), []);
    } finally {
      await reg.close();
      umount2(root);
    }
  });

  it('keeps serving when a client drops a download mid-blob', async (t) => {
    const reg = await startTestRegistry(t);
    const data = randomBytes(32 << 20);
    const d = await pushBlob(reg.url, 'dl', data);
    await new Promise<void>((resolve) => {
      const req = http.get(`${reg.url}/v2/dl/blobs/${d}`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => resolve());
    });
    const again = await request(`${reg.url}/v2/dl/blobs/${d}`);
    assert.equal(sha256(again.body), d);
    // The cut transfer shows in the metrics as a request that did not finish (499).
    const metrics = (await request(`${reg.url}/metrics`)).text;
    assert.match(metrics, /berth_registry_http_requests_total\{route="blob",method="GET",code="499"\} 1/);
  });
});
