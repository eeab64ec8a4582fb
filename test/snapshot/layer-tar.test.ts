/**
 * Committed snapshots keep their layer as a tar-split record beside fs/ and rebuild the exact
 * layer tar from it (checked against the diffID); a layer that exists already writes nothing;
 * removal takes the record with it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { Digest } from '../../src/core/digest.js';
import { BerthError } from '../../src/core/errors.js';
import { OverlaySnapshotter } from '../../src/snapshot/overlay.js';
import { collect, sha256, streamOf, tarOf, type RawEntry } from '../archive/tar-build.js';
import { tempDir } from '../helpers/tmp.js';

const lower: RawEntry[] = [
  { name: 'a/b/c/bar', data: 'bar' },
  { name: 'a/keep', data: 'keep'.repeat(1000) },
  { name: 'x/file', data: 'file' },
  { name: 'x/file', data: 'replaced in the same layer' },
];
const upper: RawEntry[] = [
  { name: 'a/', type: '5' },
  { name: 'a/.wh..wh..opq', data: '' },
  { name: 'a/b/c/foo', data: 'foo' },
  { name: 'x/.wh.file', data: '' },
];

describe('snapshot layer tars (tar-split)', () => {
  it('rebuilds each committed layer exactly, also after a reopen', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    const tars = [tarOf(lower), tarOf(upper)];
    const l1 = await snaps.applyLayer(undefined, streamOf(tars[0]));
    const l2 = await snaps.applyLayer(l1.chainId, streamOf(tars[1]), { worker: false });
    assert.equal(l1.streamSize, tars[0].length);
    for (const [i, l] of [l1, l2].entries()) {
      const rec = snaps.stat(l.chainId);
      assert.equal(rec?.split, 'layer.split');
      assert.equal(rec?.streamSize, tars[i].length);
      assert.deepEqual(readdirSync(`${snaps.root}/${rec?.id}`).sort(), i === 0 ? ['fs', 'info.json', 'layer.split', 'layer.split.saved'] : ['fs', 'info.json', 'layer.split']);
      assert.ok((await collect(snaps.layerTar(l.chainId))).equals(tars[i]));
    }
    const reopened = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    assert.equal(sha256(await collect(reopened.layerTar(l2.chainId))), l2.diffId);
    await assert.rejects(collect(snaps.layerTar(sha256(Buffer.from('nope')))), (e: unknown) => e instanceof BerthError && e.code === 'ERR_SNAPSHOT_NOT_FOUND');
  });

  it('writes nothing when the layer exists already', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    const tar = tarOf(lower);
    const first = await snaps.applyLayer(undefined, streamOf(tar));
    const split = `${snaps.root}/${snaps.stat(first.chainId)?.id}/layer.split`;
    const before = { bytes: readFileSync(split), mtime: statSync(split).mtimeMs };
    const known = await snaps.applyLayer(undefined, streamOf(tar), { expectedDiffId: first.diffId }); // verified, dropped
    const again = await snaps.applyLayer(undefined, streamOf(tar)); // extracted, then dropped
    assert.deepEqual([known.created, known.streamSize, again.created, again.streamSize], [false, tar.length, false, tar.length]);
    assert.deepEqual(readdirSync(snaps.root), ['1'], 'no other snapshot directory');
    assert.deepEqual({ bytes: readFileSync(split), mtime: statSync(split).mtimeMs }, before, 'the record is untouched');
  });

  it('refuses to rebuild a layer whose files changed, at the end when only content did', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    const l = await snaps.applyLayer(undefined, streamOf(tarOf(lower)));
    const fs = `${snaps.root}/${snaps.stat(l.chainId)?.id}/fs`;
    await writeFile(`${fs}/a/b/c/bar`, 'BAR'); // same size
    let seen = 0;
    await assert.rejects(
      (async () => {
        for await (const c of snaps.layerTar(l.chainId)) seen += c.length;
      })(),
      (e: unknown) => {
        assert.ok(e instanceof BerthError);
        assert.equal(e.code, 'ERR_LAYER_SPLIT_CORRUPT');
        assert.match(e.message, /changed since the layer was unpacked/);
        return true;
      },
    );
    assert.equal(seen, tarOf(lower).length, 'the digest is checked once the whole stream is out');
    await writeFile(`${fs}/a/b/c/bar`, 'bar, longer now');
    await assert.rejects(collect(snaps.layerTar(l.chainId)), (e: unknown) => e instanceof BerthError && e.code === 'ERR_LAYER_SPLIT_CORRUPT' && /a\/b\/c\/bar/.test(e.message));
  });

  it('removes the record with the snapshot, and leaves none for a refused layer', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    const l1 = await snaps.applyLayer(undefined, streamOf(tarOf(lower)));
    await assert.rejects(snaps.applyLayer(l1.chainId, streamOf(tarOf(upper).subarray(0, 700))), (e: unknown) => e instanceof BerthError && e.code === 'ERR_LAYER_TRUNCATED');
    assert.deepEqual(readdirSync(snaps.root), ['1']);
    await snaps.remove(l1.chainId);
    assert.deepEqual(readdirSync(snaps.root), []);
    assert.equal(existsSync(`${snaps.root}/1/layer.split`), false);
  });

  it('says so for a snapshot recorded before tar-split', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    const l = await snaps.applyLayer(undefined, streamOf(tarOf(lower)));
    const info = `${snaps.root}/1/info.json`;
    const rec = JSON.parse(readFileSync(info, 'utf8')) as { split?: string; streamSize?: number; chainId: Digest };
    delete rec.split;
    delete rec.streamSize;
    await writeFile(info, JSON.stringify(rec));
    const old = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    await assert.rejects(collect(old.layerTar(l.chainId)), (e: unknown) => e instanceof BerthError && e.code === 'ERR_LAYER_SPLIT_MISSING');
  });
});
