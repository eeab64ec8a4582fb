/**
 * The safe extractor on legitimate layers: every entry type and attribute as the tar says,
 * whiteouts in overlay form, tolerated endings, and the same tree as GNU tar extracts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { chmod, chown, link, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { extractLayer } from '../../src/archive/extract.js';
import { BLOCK } from '../../src/archive/tar-header.js';
import { BerthError } from '../../src/core/errors.js';
import { lgetxattr, lsetxattr, mknod, mount, S_IFCHR, S_IFIFO } from '../../src/sys/libc.js';
import { tempDir } from '../helpers/tmp.js';
import { mountPoint } from '../snapshot/mounts.js';
import { sha256, streamOf, tarOf, treeOf, type RawEntry } from './tar-build.js';

const T = 1_500_000_000;

const legit: RawEntry[] = [
  { name: './', type: '5', mode: 0o755, mtime: T + 1 },
  { name: 'bin/', type: '5', mode: 0o755, mtime: T + 2 },
  { name: 'bin/busybox', data: 'ELF...', mode: 0o755, mtime: T + 3 },
  { name: 'bin/sh', type: '2', linkname: '/bin/busybox', mtime: T + 4 },
  { name: 'bin/ls', type: '1', linkname: 'bin/busybox' },
  { name: 'usr/bin/passwd', data: 'suid', mode: 0o4755, uid: 0, gid: 0, mtime: T + 5 },
  { name: 'usr/bin/wall', data: 'sgid', mode: 0o2755, uid: 0, gid: 5, mtime: T + 6 },
  { name: 'tmp/', type: '5', mode: 0o1777, mtime: T + 7 },
  { name: 'home/user/', type: '5', mode: 0o700, uid: 1000, gid: 1000, mtime: T + 8 },
  { name: 'home/user/notes', data: 'hello', mode: 0o600, uid: 1000, gid: 1000, mtime: T + 9 },
  { name: 'home/user/link', type: '2', linkname: 'notes', uid: 1000, gid: 1000, mtime: T + 10 },
  { name: 'dev/null', type: '3', devmajor: 1, devminor: 3, mode: 0o666, mtime: T + 11 },
  { name: 'dev/loop0', type: '4', devmajor: 7, devminor: 0, mode: 0o660, gid: 6, mtime: T + 12 },
  { name: 'run/fifo', type: '6', mode: 0o622, mtime: T + 13 },
  { name: 'cap/ping', data: 'ping', mode: 0o755, pax: [['SCHILY.xattr.security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex')], ['SCHILY.xattr.user.note', 'n']] },
  { name: 'x', data: 'long', pax: [['path', `deep/${'long-name-'.repeat(20)}/file`], ['mtime', `${T}.5`]] },
  { name: 'ünïcødé/文件', data: 'utf8', pax: [['path', 'ünïcødé/文件']] },
  { name: 'empty', data: '' },
];

describe('safe extraction: legitimate layers', () => {
  it('keeps every type, owner, mode, time, xattr and link as the tar says', async (t) => {
    const dest = `${await tempDir(t)}/L`;
    const archive = tarOf(legit);
    const r = await extractLayer(streamOf(archive), dest);
    assert.equal(r.diffId, sha256(archive));
    assert.equal(r.streamSize, archive.length);
    assert.equal(r.entries, legit.length);
    assert.equal(readlinkSync(`${dest}/bin/sh`), '/bin/busybox', 'absolute symlink targets are verbatim');
    assert.equal(statSync(`${dest}/bin/ls`).ino, statSync(`${dest}/bin/busybox`).ino, 'hardlink');
    assert.equal(statSync(`${dest}/bin/busybox`).nlink, 2);
    assert.equal(lstatSync(`${dest}/usr/bin/passwd`).mode & 0o7777, 0o4755, 'setuid kept');
    const wall = lstatSync(`${dest}/usr/bin/wall`);
    assert.equal(wall.mode & 0o7777, 0o2755, 'setgid kept after chown');
    assert.equal(wall.gid, 5);
    assert.equal(lstatSync(`${dest}/tmp`).mode & 0o7777, 0o1777);
    const home = lstatSync(`${dest}/home/user`);
    assert.deepEqual([home.uid, home.gid, home.mode & 0o7777, home.mtimeMs / 1000], [1000, 1000, 0o700, T + 8], 'directory times set after its content');
    const notes = lstatSync(`${dest}/home/user/notes`);
    assert.deepEqual([notes.uid, notes.mode & 0o7777, notes.mtimeMs / 1000], [1000, 0o600, T + 9]);
    const lnk = lstatSync(`${dest}/home/user/link`);
    assert.deepEqual([lnk.uid, lnk.mtimeMs / 1000], [1000, T + 10], 'symlink owner and time (lchown, lutimes)');
    const nul = lstatSync(`${dest}/dev/null`);
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, 0x103);
    assert.equal(nul.mode & 0o7777, 0o666);
    const loop = lstatSync(`${dest}/dev/loop0`);
    assert.ok(loop.isBlockDevice());
    assert.equal(loop.gid, 6);
    assert.ok(lstatSync(`${dest}/run/fifo`).isFIFO());
    assert.equal(lstatSync(`${dest}/run/fifo`).mode & 0o7777, 0o622);
    assert.equal(lgetxattr(`${dest}/cap/ping`, 'security.capability')?.toString('hex'), '0100000200200000000000000000000000000000');
    assert.equal(lgetxattr(`${dest}/cap/ping`, 'user.note')?.toString(), 'n');
    assert.equal(readFileSync(`${dest}/deep/${'long-name-'.repeat(20)}/file`, 'utf8'), 'long');
    assert.equal(lstatSync(`${dest}/deep/${'long-name-'.repeat(20)}/file`).mtimeMs, T * 1000 + 500, 'pax sub-second mtime');
    assert.equal(readFileSync(`${dest}/ünïcødé/文件`, 'utf8'), 'utf8');
    assert.equal(lstatSync(dest).mtimeMs / 1000, T + 1, "the './' entry sets the root's attributes");
    assert.equal(r.size, ['ELF...', 'suid', 'sgid', 'hello', 'ping', 'long', 'utf8'].join('').length);
  });

  it('gives the same tree in a worker thread and inline', async (t) => {
    const tmp = await tempDir(t);
    const archive = tarOf(legit);
    await extractLayer(streamOf(archive, 100), `${tmp}/a`);
    await extractLayer(streamOf(archive, 4096), `${tmp}/b`, { worker: false });
    // implicit parents (no entry of their own) carry the time they were made: left out
    assert.deepEqual(treeOf(`${tmp}/a`, { dirMtimes: false }), treeOf(`${tmp}/b`, { dirMtimes: false }));
  });

  it('turns OCI whiteouts into overlay whiteouts, opaque markers wherever they appear', async (t) => {
    const dest = `${await tempDir(t)}/L`;
    await extractLayer(
      streamOf(
        tarOf([
          { name: 'a/', type: '5' },
          { name: 'a/b/c/foo', data: 'foo' },
          { name: 'a/.wh..wh..opq', data: '' }, // after the directory's own entries: still applies
          { name: 'x/.wh.file', data: '', uid: 7 },
          { name: 'x/.wh.file2', data: '' },
          { name: 'x/other', data: 'kept' },
          { name: 'x/.wh.other', data: '' }, // never hides an entry of the same layer
          { name: 'y/.wh..wh..opq', data: '' }, // opaque marker of a directory with no entry
          { name: 'z/.wh..wh.plnk', data: '' }, // aufs bookkeeping: skipped
          { name: '.wh.gone-dir', data: '' },
          { name: 'gone-dir/new', data: 'recreated' }, // a whiteout replaced by a directory: opaque
        ]),
      ),
      dest,
    );
    for (const w of ['x/file', 'x/file2']) {
      const st = lstatSync(`${dest}/${w}`);
      assert.ok(st.isCharacterDevice() && st.rdev === 0, `${w} is a 0/0 char device`);
      assert.equal(st.mode & 0o7777, 0);
    }
    assert.equal(lstatSync(`${dest}/x/file`).uid, 7);
    assert.equal(readFileSync(`${dest}/x/other`, 'utf8'), 'kept');
    assert.equal(lgetxattr(`${dest}/a`, 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(lgetxattr(`${dest}/y`, 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(lgetxattr(`${dest}/gone-dir`, 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(lgetxattr(`${dest}/x`, 'trusted.overlay.opaque'), undefined);
    const names = treeOf(dest).map((i) => i.path);
    assert.ok(!names.some((n) => n.includes('.wh.')), `no .wh. file is written: ${names.join(' ')}`);
  });

  it('accepts a tar that ends without its end blocks, padded or not, or after one zero block', async (t) => {
    const tmp = await tempDir(t);
    const whole = tarOf([{ name: 'a', data: 'x'.repeat(700) }, { name: 'b', data: 'last bytes' }], false);
    const unpadded = whole.subarray(0, whole.length - (BLOCK - 10));
    const cases = { padded: whole, unpadded, oneZero: Buffer.concat([whole, Buffer.alloc(BLOCK)]), trailing: Buffer.concat([whole, Buffer.alloc(2 * BLOCK), Buffer.from('ignored trailing bytes')]) };
    for (const [name, bytes] of Object.entries(cases)) {
      const r = await extractLayer(streamOf(bytes), `${tmp}/${name}`);
      assert.equal(readFileSync(`${tmp}/${name}/b`, 'utf8'), 'last bytes', name);
      assert.equal(r.diffId, sha256(bytes), `${name}: the diffID covers every byte`);
    }
  });

  it('stops cleanly when the source fails midway: its error, nothing left behind', async (t) => {
    const tmp = await tempDir(t);
    const archive = tarOf(Array.from({ length: 200 }, (_, i) => ({ name: `d/f${i}`, data: 'x'.repeat(5000) })));
    for (const worker of [true, false]) {
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield archive.subarray(0, archive.length >> 1);
        throw new BerthError('invalid', 'ERR_CLIENT_GONE', 'the client closed the connection');
      }
      await assert.rejects(extractLayer(failing(), `${tmp}/L`, { worker }), (e: unknown) => e instanceof BerthError && e.code === 'ERR_CLIENT_GONE');
      assert.deepEqual(readdirSync(tmp), []);
    }
  });

  it('reports a full disk as ERR_NO_SPACE and leaves nothing', async (t) => {
    const small = await mountPoint(t);
    mount('tmpfs', small, 'tmpfs', 0, 'size=256k');
    const archive = tarOf([{ name: 'ok', data: 'fits' }, { name: 'big', data: Buffer.alloc(1 << 20, 1) }]);
    for (const worker of [true, false]) {
      await assert.rejects(extractLayer(streamOf(archive, 65536), `${small}/L`, { worker }), (e: unknown) => {
        assert.ok(e instanceof BerthError);
        assert.equal(e.code, 'ERR_NO_SPACE', e.message);
        assert.equal(e.kind, 'unavailable');
        return true;
      });
      assert.deepEqual(readdirSync(small), [], 'nothing partial remains');
    }
  });

  it('extracts what GNU tar archived exactly as GNU tar extracts it (gnu, pax and ustar formats)', async (t) => {
    const tmp = await tempDir(t);
    const src = `${tmp}/src`;
    await makeFixtureTree(src);
    for (const format of ['gnu', 'posix', 'ustar']) {
      const tarFile = `${tmp}/${format}.tar`;
      execFileSync('tar', ['--format', format, '--xattrs', '--xattrs-include=user.*', '--numeric-owner', '-C', src, '-cf', tarFile, '.'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const ours = `${tmp}/ours-${format}`;
      const r = await extractLayer(createReadStream(tarFile), ours);
      assert.equal(r.diffId, sha256(readFileSync(tarFile)));
      const theirs = `${tmp}/gnu-${format}`;
      await mkdir(theirs);
      execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpf', tarFile, '-C', theirs]);
      const expected = treeOf(theirs, { xattrs: format !== 'ustar' });
      // ustar has no place for xattrs: the comparison is on everything else
      assert.deepEqual(treeOf(ours, { xattrs: format !== 'ustar' }), expected, format);
      assert.equal(statSync(ours).mtimeMs, statSync(theirs).mtimeMs, `${format}: root attributes`);
    }
  });
});

/** A tree with every kind of entry, made with the real syscalls. */
async function makeFixtureTree(root: string): Promise<void> {
  await mkdir(`${root}/etc/app`, { recursive: true });
  await mkdir(`${root}/usr/lib/deep/${'d'.repeat(90)}/${'e'.repeat(90)}`, { recursive: true });
  await writeFile(`${root}/etc/app/conf`, 'key=value\n');
  await writeFile(`${root}/usr/lib/deep/${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(120)}`, Buffer.alloc(70_000, 3));
  await writeFile(`${root}/usr/lib/big`, Buffer.alloc(1_500_000, 9));
  await link(`${root}/usr/lib/big`, `${root}/usr/lib/big-link`);
  await symlink('/etc/app/conf', `${root}/etc/abs-link`);
  await symlink(`../${'x'.repeat(150)}`, `${root}/etc/long-target`);
  await writeFile(`${root}/etc/shadow`, 'root:*:');
  await chmod(`${root}/etc/shadow`, 0o640);
  await chown(`${root}/etc/shadow`, 0, 42);
  await writeFile(`${root}/usr/lib/suid`, 'x');
  await chown(`${root}/usr/lib/suid`, 1234, 5678);
  await chmod(`${root}/usr/lib/suid`, 0o4711);
  mknod(`${root}/usr/lib/null`, S_IFCHR | 0o666, 1, 3);
  mknod(`${root}/usr/lib/fifo`, S_IFIFO | 0o644, 0, 0);
  lsetxattr(`${root}/etc/app/conf`, 'user.origin', Buffer.from('fixture'));
  await chmod(`${root}/usr/lib/null`, 0o666);
  await utimes(`${root}/etc/app/conf`, T, T);
  await utimes(`${root}/etc/app`, T + 100, T + 100);
  await utimes(root, T + 200, T + 200);
}
