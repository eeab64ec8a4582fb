import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalContentStore } from '../../src/content/local.js';
import type { Digest } from '../../src/core/digest.js';
import { BerthError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/tmp.js';

const sha = (b: Buffer | string): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('local content store', () => {
  it('commits a blob under its digest and reads it back', async (t) => {
    const store = await LocalContentStore.open(await tempDir(t));
    const data = Buffer.from('hello blob');
    const info = await store.put(data);
    assert.equal(info.digest, sha(data));
    assert.equal(info.size, data.length);
    assert.deepEqual(await store.read(info.digest), data);
    assert.equal(await store.has(info.digest), true);
  });

  it('refuses content whose digest does not match and leaves nothing behind', async (t) => {
    const store = await LocalContentStore.open(await tempDir(t));
    const wrong = sha('something else');
    await assert.rejects(store.put(Buffer.from('hello'), wrong), (e: unknown) => e instanceof BerthError && e.code === 'ERR_DIGEST_MISMATCH');
    assert.equal(await store.has(wrong), false);
    assert.deepEqual(await readdir(store.ingestDir), []);
  });

  it('lets concurrent writers of the same digest all succeed with one blob', async (t) => {
    const store = await LocalContentStore.open(await tempDir(t));
    const data = Buffer.alloc(1 << 20, 7);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.put(data, sha(data))));
    assert.ok(results.every((r) => r.digest === sha(data)));
    assert.deepEqual(await readdir(join(store.blobsDir, 'sha256')), [sha(data).slice(7)]);
    assert.deepEqual(await readdir(store.ingestDir), []);
  });

  it('streams byte ranges', async (t) => {
    const store = await LocalContentStore.open(await tempDir(t));
    const { digest } = await store.put(Buffer.from('0123456789'));
    const chunks: Buffer[] = [];
    for await (const c of await store.stream(digest, { start: 2, end: 5 })) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), '2345');
  });

  it('answers not-found for a missing blob', async (t) => {
    const store = await LocalContentStore.open(await tempDir(t));
    await assert.rejects(store.read(sha('nope')), (e: unknown) => e instanceof BerthError && e.kind === 'not-found');
    await assert.rejects(store.stream(sha('nope')), (e: unknown) => e instanceof BerthError && e.kind === 'not-found');
  });

  it('supports sha512', async (t) => {
    const store = await LocalContentStore.open(await tempDir(t));
    const info = await store.put(Buffer.from('x'), `sha512:${createHash('sha512').update('x').digest('hex')}`);
    assert.ok(info.digest.startsWith('sha512:'));
  });

  it('cleans abandoned ingest files by age', async (t) => {
    const store = await LocalContentStore.open(await tempDir(t));
    await writeFile(join(store.ingestDir, 'leftover'), 'partial');
    assert.equal(await store.cleanIngest(60_000), 0);
    assert.equal(await store.cleanIngest(-1), 1);
  });
  it('adopts a hashed file from outside ingest/, once per digest', async (t) => {
    const dir = await tempDir(t);
    const store = await LocalContentStore.open(join(dir, 'store'));
    const data = Buffer.from('adopted content');
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    await writeFile(first, data);
    await writeFile(second, data);
    assert.deepEqual(await store.adopt(first, sha(data)), { digest: sha(data), size: data.length });
    assert.deepEqual(await store.read(sha(data)), data);
    // The second copy of the same content is dropped: the blob is there already.
    assert.deepEqual(await store.adopt(second, sha(data)), { digest: sha(data), size: data.length });
    assert.deepEqual((await readdir(dir)).sort(), ['store']);
  });

});
