/**
 * The overlay snapshotter with real overlay mounts: layers shared by ChainID, whiteouts and
 * opaque directories hiding lower files, crash leftovers cleaned at open, deep stacks.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Digest } from '../../src/core/digest.js';
import { BerthError } from '../../src/core/errors.js';
import { chainId, chainIds } from '../../src/snapshot/chain.js';
import { mount, unmount } from '../../src/snapshot/mount.js';
import { OverlaySnapshotter } from '../../src/snapshot/overlay.js';
import { sha256, streamOf, tarOf, treeOf, type RawEntry } from '../archive/tar-build.js';
import { tempDir } from '../helpers/tmp.js';
import { mountPoint } from './mounts.js';

const lower: RawEntry[] = [
  { name: 'a/b/c/bar', data: 'bar' },
  { name: 'a/keep', data: 'keep' },
  { name: 'x/file', data: 'file' },
  { name: 'x/file2', data: 'file2' },
  { name: 'x/other', data: 'other' },
];
const upper: RawEntry[] = [
  { name: 'a/', type: '5' },
  { name: 'a/.wh..wh..opq', data: '' },
  { name: 'a/b/c/foo', data: 'foo' },
  { name: 'x/.wh.file', data: '' },
  { name: 'x/.wh.file2', data: '' },
];

const ls = (root: string) => treeOf(root, { mtimes: false }).map((i) => `${i.type[0]} ${i.path}`);

describe('overlay snapshotter', () => {
  it('stacks layers into an overlay where whiteouts and opaque directories hide lower files', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    const l1 = await snaps.applyLayer(undefined, streamOf(tarOf(lower)));
    const l2 = await snaps.applyLayer(l1.chainId, streamOf(tarOf(upper)));
    assert.equal(l2.chainId, chainId(l1.chainId, l2.diffId));
    const mounts = await snaps.prepare('c1', l2.chainId);
    assert.equal(mounts[0].type, 'overlay');
    assert.match(mounts[0].options.join(','), /lowerdir=.*\/2\/fs:.*\/1\/fs,upperdir=.*\/3\/fs,workdir=.*\/3\/work/);
    const mnt = await mountPoint(t);
    mount(mounts, mnt);
    assert.deepEqual(ls(mnt), ['d a', 'd a/b', 'd a/b/c', 'f a/b/c/foo', 'd x', 'f x/other']);
    await writeFile(`${mnt}/x/written`, 'by the container');
    unmount(mnt);
    assert.equal(readFileSync(`${snaps.diffSource('c1').upper}/x/written`, 'utf8'), 'by the container', 'writes land in the upper');
    assert.deepEqual(ls(`${snaps.root}/1/fs`), ['d a', 'd a/b', 'd a/b/c', 'f a/b/c/bar', 'f a/keep', 'd x', 'f x/file', 'f x/file2', 'f x/other'], 'lower untouched');
  });

  it('extracts a layer once and shares it by ChainID', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    const tar = tarOf(lower);
    const first = await snaps.applyLayer(undefined, streamOf(tar));
    assert.deepEqual([first.created, first.chainId, first.diffId], [true, sha256(tar), sha256(tar)]);
    const again = await snaps.applyLayer(undefined, streamOf(tar));
    assert.deepEqual([again.created, again.chainId], [false, first.chainId]);
    const known = await snaps.applyLayer(undefined, streamOf(tar), { expectedDiffId: first.diffId });
    assert.equal(known.created, false);
    await assert.rejects(snaps.applyLayer(undefined, streamOf(tarOf(upper)), { expectedDiffId: first.diffId }), (e: unknown) => e instanceof BerthError && e.code === 'ERR_LAYER_DIFFID_MISMATCH');
    const concurrent = await Promise.all([1, 2, 3].map(() => snaps.applyLayer(first.chainId, streamOf(tarOf(upper)))));
    assert.equal(concurrent.filter((r) => r.created).length, 1, 'concurrent imports of one layer commit it once');
    assert.equal(readdirSync(snaps.root).length, 2, 'the losers are discarded');
    assert.deepEqual(chainIds([first.diffId, concurrent[0].diffId]), [first.chainId, concurrent[0].chainId]);
    assert.equal(snaps.stat(concurrent[0].chainId)?.parent, first.chainId);
    const reopened = await OverlaySnapshotter.open(`${tmp}/snapshots`);
    assert.deepEqual(
      reopened.list().map((r) => r.kind === 'committed' && r.chainId).sort(),
      [first.chainId, concurrent[0].chainId].sort(),
    );
  });

  it('leaves nothing behind when a layer is refused', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    await assert.rejects(snaps.applyLayer(undefined, streamOf(tarOf([{ name: '../escape', data: 'x' }]))), (e: unknown) => e instanceof BerthError && e.code === 'ERR_LAYER_PATH_ESCAPE');
    await assert.rejects(snaps.applyLayer(undefined, streamOf(tarOf(lower)), { expectedDiffId: sha256(Buffer.from('no')) }), (e: unknown) => e instanceof BerthError && e.code === 'ERR_LAYER_DIFFID_MISMATCH');
    await assert.rejects(snaps.applyLayer(sha256(Buffer.from('missing')), streamOf(tarOf(lower))), (e: unknown) => e instanceof BerthError && e.code === 'ERR_SNAPSHOT_NOT_FOUND');
    assert.deepEqual(readdirSync(snaps.root), []);
    assert.deepEqual(snaps.list(), []);
  });

  it('removes snapshots child first and refuses to remove a parent', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    const l1 = await snaps.applyLayer(undefined, streamOf(tarOf(lower)));
    const l2 = await snaps.applyLayer(l1.chainId, streamOf(tarOf(upper)));
    await snaps.prepare('c1', l2.chainId);
    await assert.rejects(snaps.prepare('c1', l2.chainId), (e: unknown) => e instanceof BerthError && e.code === 'ERR_SNAPSHOT_EXISTS');
    await assert.rejects(snaps.prepare(l1.chainId, undefined), (e: unknown) => e instanceof BerthError && e.code === 'ERR_SNAPSHOT_KEY_INVALID');
    await assert.rejects(snaps.remove(l2.chainId), (e: unknown) => e instanceof BerthError && e.code === 'ERR_SNAPSHOT_IN_USE' && /c1/.test(e.message));
    await assert.rejects(snaps.remove(l1.chainId), (e: unknown) => e instanceof BerthError && e.code === 'ERR_SNAPSHOT_IN_USE');
    await writeFile(`${snaps.diffSource('c1').upper}/f`, '12345');
    assert.deepEqual(await snaps.usage('c1'), { size: 5, inodes: 1 });
    assert.deepEqual(await snaps.usage(l1.chainId), { size: 3 + 4 + 4 + 5 + 5, inodes: 9 });
    await snaps.remove('c1');
    await snaps.remove(l2.chainId);
    await snaps.remove(l1.chainId);
    assert.deepEqual(readdirSync(snaps.root), []);
    await assert.rejects(snaps.remove('c1'), (e: unknown) => e instanceof BerthError && e.code === 'ERR_SNAPSHOT_NOT_FOUND');
  });

  it('gives a parent-less snapshot as a bind mount of an empty directory', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: true });
    const mounts = await snaps.prepare('scratch', undefined);
    assert.deepEqual(mounts, [{ type: 'bind', source: `${snaps.root}/1/fs`, options: ['rbind', 'rw'] }]);
    assert.deepEqual(snaps.mounts('scratch'), mounts);
    const mnt = await mountPoint(t);
    mount(mounts, mnt);
    await writeFile(`${mnt}/hello`, 'hi');
    unmount(mnt);
    assert.equal(readFileSync(`${snaps.root}/1/fs/hello`, 'utf8'), 'hi');
    // a synced commit works too
    const l = await snaps.applyLayer(undefined, streamOf(tarOf(lower)));
    assert.equal(l.created, true);
  });

  it('mounts a stack deeper than one page of absolute lowerdir paths', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/${'long-data-root-'.repeat(4)}/snapshots`, { sync: false });
    let parent: Digest | undefined;
    for (let i = 0; i < 130; i++) {
      parent = (await snaps.applyLayer(parent, streamOf(tarOf([{ name: `layer/${i}`, data: `${i}` }])), { worker: false })).chainId;
    }
    const mounts = await snaps.prepare('deep', parent);
    assert.ok(mounts[0].options.join(',').length > 4096, 'absolute options exceed a page');
    const mnt = await mountPoint(t);
    mount(mounts, mnt);
    assert.equal(readdirSync(`${mnt}/layer`).length, 130);
    assert.equal(readFileSync(`${mnt}/layer/0`, 'utf8'), '0');
    assert.equal(process.cwd(), fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, ''), 'the working directory is restored');
  });

  it('cleans what a killed process left half-done when it opens', async (t) => {
    const tmp = await tempDir(t);
    const root = `${tmp}/snapshots`;
    const good = await OverlaySnapshotter.open(root, { sync: false });
    const kept = await good.applyLayer(undefined, streamOf(tarOf(lower)));
    // A real process importing an endless layer, killed with SIGKILL in the middle.
    const child = spawn(process.execPath, ['--input-type=module', '-e', childScript(root)], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('extracting') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    await waitFor(() => existsSync(`${root}/2/fs/f/00500`));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await writeFile(`${root}/.tmp-info.json-abc`, 'torn');
    assert.ok(existsSync(`${root}/2`));
    const reopened = await OverlaySnapshotter.open(root, { sync: false });
    assert.deepEqual(readdirSync(root).sort(), ['1']);
    assert.deepEqual(reopened.list().map((r) => r.kind === 'committed' && r.chainId), [kept.chainId]);
    const next = await reopened.applyLayer(kept.chainId, streamOf(tarOf(upper)));
    assert.equal(reopened.stat(next.chainId)?.id, 3, 'numbers are never reused');
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(cond(), 'condition not reached');
}

function childScript(root: string): string {
  const overlay = new URL('../../src/snapshot/overlay.js', import.meta.url).href;
  const header = new URL('../../src/archive/tar-header.js', import.meta.url).href;
  return `
    import { OverlaySnapshotter } from ${JSON.stringify(overlay)};
    import { encodeHeader } from ${JSON.stringify(header)};
    const snaps = await OverlaySnapshotter.open(${JSON.stringify(root)}, { sync: false });
    async function* endless() {
      console.log('extracting');
      for (let i = 0; ; i++) {
        yield Buffer.concat([encodeHeader({ name: 'f/' + String(i).padStart(5, '0'), type: 'file', mode: 0o644, uid: 0, gid: 0, size: 512, mtime: 0 }), Buffer.alloc(512, 1)]);
        if (i % 100 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    }
    await snaps.applyLayer(undefined, endless());
  `;
}
