/**
 * The layer differ against real overlay mounts: mutate a container's rootfs, diff its upper,
 * apply the diff as a new layer, and the new stack must show exactly the mutated tree. GNU tar
 * checks what the differ wrote; `docker diff`'s list is checked too.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { chmod, link, mkdir, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { changes, diffLayer, tarDirectory } from '../../src/archive/diff.js';
import { extractLayer } from '../../src/archive/extract.js';
import { lsetxattr } from '../../src/sys/libc.js';
import { mount, unmount } from '../../src/snapshot/mount.js';
import { OverlaySnapshotter } from '../../src/snapshot/overlay.js';
import { collect, sha256, streamOf, tarOf, treeOf, type RawEntry } from '../archive/tar-build.js';
import { tempDir } from '../helpers/tmp.js';
import { mountPoint } from './mounts.js';

const base: RawEntry[] = [
  { name: 'etc/', type: '5', mtime: 1_600_000_000 },
  { name: 'etc/conf', data: 'v1' },
  { name: 'etc/mode-only', data: 'same', mode: 0o644 },
  { name: 'x/file', data: 'to delete' },
  { name: 'x/other', data: 'stays' },
  { name: 'a/old1', data: 'old' },
  { name: 'a/sub/old2', data: 'old' },
  { name: 'gone/deep/file', data: 'whole dir deleted' },
  { name: 'bin/busybox', data: 'ELF', mode: 0o755 },
  { name: 'bin/sh', type: '2', linkname: '/bin/busybox' },
];

describe('layer differ', () => {
  it('round-trips a mutated container rootfs through a diff layer', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    const l1 = await snaps.applyLayer(undefined, streamOf(tarOf(base)));
    const mnt = await mountPoint(t);
    mount(await snaps.prepare('c1', l1.chainId), mnt);

    // What a container does to its rootfs.
    await mkdir(`${mnt}/new`);
    await writeFile(`${mnt}/new/file`, 'added');
    await link(`${mnt}/new/file`, `${mnt}/new/hard`);
    lsetxattr(`${mnt}/new/file`, 'user.k', Buffer.from('v'));
    await writeFile(`${mnt}/etc/conf`, 'v2');
    await chmod(`${mnt}/etc/mode-only`, 0o600);
    await unlink(`${mnt}/x/file`);
    await rm(`${mnt}/a`, { recursive: true });
    await mkdir(`${mnt}/a`);
    await writeFile(`${mnt}/a/fresh`, 'new content');
    await rm(`${mnt}/gone`, { recursive: true });
    await symlink('/etc/conf', `${mnt}/lnk`);
    await utimes(`${mnt}/new/file`, 1_700_000_000, 1_700_000_000);
    const mutated = treeOf(mnt, { dirMtimes: false });
    unmount(mnt);

    const src = snaps.diffSource('c1');
    assert.deepEqual(await changes(src), [
      { kind: 'D', path: '/a/old1' },
      { kind: 'D', path: '/a/sub' },
      { kind: 'C', path: '/a' },
      { kind: 'A', path: '/a/fresh' },
      { kind: 'C', path: '/etc' },
      { kind: 'C', path: '/etc/conf' },
      { kind: 'C', path: '/etc/mode-only' },
      { kind: 'D', path: '/gone' },
      { kind: 'A', path: '/lnk' },
      { kind: 'A', path: '/new' },
      { kind: 'A', path: '/new/file' },
      { kind: 'A', path: '/new/hard' },
      { kind: 'C', path: '/x' },
      { kind: 'D', path: '/x/file' },
    ].sort((p, q) => (p.path < q.path ? -1 : p.path > q.path ? 1 : 0)));

    const diff = await collect(diffLayer(src));
    assert.deepEqual(await collect(diffLayer(src)), diff, 'the diff is deterministic');
    await writeFile(`${tmp}/diff.tar`, diff);
    const listing = execFileSync('tar', ['-tvf', `${tmp}/diff.tar`], { encoding: 'utf8' }).trim().split('\n');
    const names = listing.map((l) => l.replace(/^.*\d\d:\d\d /, ''));
    assert.deepEqual(names, [
      'a/',
      'a/.wh..wh..opq',
      'a/fresh',
      'etc/',
      'etc/conf',
      'etc/mode-only',
      '.wh.gone',
      'lnk -> /etc/conf',
      'new/',
      'new/file',
      'new/hard link to new/file',
      'x/',
      'x/.wh.file',
    ]);
    assert.match(listing[5], /^-rw------- /, 'modes are carried');

    const l2 = await snaps.applyLayer(l1.chainId, streamOf(diff), { expectedDiffId: sha256(diff) });
    assert.ok((await collect(snaps.layerTar(l2.chainId))).equals(diff), 'the committed layer rebuilds from its snapshot (tar-split)');
    const mnt2 = await mountPoint(t);
    mount(await snaps.prepare('c2', l2.chainId), mnt2);
    assert.deepEqual(treeOf(mnt2, { dirMtimes: false }), mutated, 'the new stack shows the mutated tree');
    assert.equal(statSync(`${mnt2}/new/hard`).ino, statSync(`${mnt2}/new/file`).ino, 'hardlinks stay hardlinks');

    // export: tar the merged tree, extract it flat, same tree again
    const exported = `${tmp}/exported`;
    await extractLayer(tarDirectory(mnt2), exported);
    assert.deepEqual(treeOf(exported, { dirMtimes: false }), mutated);
    unmount(mnt2);
    assert.equal(readFileSync(`${exported}/etc/conf`, 'utf8'), 'v2');
  });

  it('reports nothing for an untouched container and tars an empty upper to an empty layer', async (t) => {
    const tmp = await tempDir(t);
    const snaps = await OverlaySnapshotter.open(`${tmp}/snapshots`, { sync: false });
    const l1 = await snaps.applyLayer(undefined, streamOf(tarOf(base)));
    await snaps.prepare('idle', l1.chainId);
    assert.deepEqual(await changes(snaps.diffSource('idle')), []);
    const empty = await collect(diffLayer(snaps.diffSource('idle')));
    assert.deepEqual(empty, Buffer.alloc(1024), 'just the two end blocks');
    const l2 = await snaps.applyLayer(l1.chainId, streamOf(empty));
    assert.deepEqual(await collect(snaps.layerTar(l2.chainId)), empty, 'an empty layer rebuilds too');
  });
});
