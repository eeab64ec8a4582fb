/**
 * Crafted hostile archives against the safe extractor. Each case ends in a precise error (and
 * then nothing of the destination remains) or in a documented safe outcome (everything lands
 * inside the destination); in both cases the sentinel tree beside the destination, and the host
 * paths the archive aims at, are proven untouched.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { describe, it, type TestContext } from 'node:test';
import type { ExtractOptions } from '../../src/archive/contract.js';
import { extractLayer } from '../../src/archive/extract.js';
import { BLOCK } from '../../src/archive/tar-header.js';
import { BerthError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { fixChecksum, sha256, streamOf, tarOf, treeOf, type RawEntry } from './tar-build.js';

const HOST_TARGET = `/etc/berth-hostile-${process.pid}`;

interface Scene {
  tmp: string;
  victim: string;
  dest: string;
  outside: () => ReturnType<typeof treeOf>;
  before: ReturnType<typeof treeOf>;
}

/** A temp dir with a sentinel `victim/` tree and the destination `layers/L` (not yet made). */
async function scene(t: TestContext): Promise<Scene> {
  const tmp = await tempDir(t, 'berth-hostile-');
  const victim = `${tmp}/victim`;
  await mkdir(`${victim}/sub`, { recursive: true });
  await writeFile(`${victim}/file`, 'original');
  await chmod(`${victim}/file`, 0o644);
  await writeFile(`${victim}/sub/secret`, 'secret');
  await mkdir(`${tmp}/layers`);
  const outside = () => treeOf(tmp, { dirMtimes: false }).filter((i) => i.path !== 'layers/L' && !i.path.startsWith('layers/L/'));
  return { tmp, victim, dest: `${tmp}/layers/L`, outside, before: outside() };
}

function untouched(s: Scene): void {
  assert.deepEqual(s.outside(), s.before, 'nothing outside the destination may change');
  assert.equal(existsSync(HOST_TARGET), false, 'the host path the archive aims at must not exist');
}

async function rejects(s: Scene, archive: Buffer, code: string, opts: ExtractOptions = {}): Promise<BerthError> {
  let caught: BerthError | undefined;
  await assert.rejects(extractLayer(streamOf(archive), s.dest, opts), (e: unknown) => {
    assert.ok(e instanceof BerthError, `expected a BerthError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    caught = e;
    return true;
  });
  assert.equal(existsSync(s.dest), false, 'a failed extraction leaves nothing behind');
  untouched(s);
  return caught as BerthError;
}

async function safe(s: Scene, archive: Buffer, opts: ExtractOptions = {}) {
  const r = await extractLayer(streamOf(archive), s.dest, opts);
  untouched(s);
  return r;
}

const file = (name: string | Buffer, data = 'pwned', extra: Partial<RawEntry> = {}): RawEntry => ({ name, data, ...extra });

describe('safe extraction: hostile archives', () => {
  it('refuses names with .. that climb out', async (t) => {
    const s = await scene(t);
    const e = await rejects(s, tarOf([file('ok'), file('../victim/pwned')]), 'ERR_LAYER_PATH_ESCAPE');
    assert.match(e.message, /\.\.\/victim\/pwned/);
    await rejects(s, tarOf([file('a/../../victim/pwned')]), 'ERR_LAYER_PATH_ESCAPE');
    await rejects(s, tarOf([file('./../../../../../../../..' + HOST_TARGET)]), 'ERR_LAYER_PATH_ESCAPE');
  });

  it('clamps absolute names into the root', async (t) => {
    const s = await scene(t);
    await safe(s, tarOf([file(`${s.victim}/abs-pwned`), file(HOST_TARGET)]));
    assert.equal(readFileSync(`${s.dest}${s.victim}/abs-pwned`, 'utf8'), 'pwned');
    assert.equal(readFileSync(`${s.dest}${HOST_TARGET}`, 'utf8'), 'pwned');
  });

  it('never writes through an absolute symlink of the archive', async (t) => {
    const s = await scene(t);
    await safe(s, tarOf([{ name: 'evil', type: '2', linkname: s.victim }, file('evil/pwned'), file('evil/file', 'overwritten')]));
    assert.equal(readlinkSync(`${s.dest}/evil`), s.victim, 'the symlink is stored verbatim');
    // resolved inside the root: <dest><victim>/...
    assert.equal(readFileSync(`${s.dest}${s.victim}/pwned`, 'utf8'), 'pwned');
    assert.equal(readFileSync(`${s.dest}${s.victim}/file`, 'utf8'), 'overwritten');
  });

  it('never writes through a relative symlink that climbs out', async (t) => {
    const s = await scene(t);
    await safe(s, tarOf([{ name: 'd/rel', type: '2', linkname: '../../../../../../../victim' }, file('d/rel/pwned')]));
    assert.equal(readlinkSync(`${s.dest}/d/rel`), '../../../../../../../victim');
    assert.equal(readFileSync(`${s.dest}/victim/pwned`, 'utf8'), 'pwned', '.. stops at the root');
  });

  it('contains symlink chains and refuses loops', async (t) => {
    const s = await scene(t);
    await safe(s, tarOf([{ name: 'a', type: '2', linkname: 'b' }, { name: 'b', type: '2', linkname: '../../..' + s.victim }, file('a/pwned')]));
    assert.equal(readFileSync(`${s.dest}${s.victim}/pwned`, 'utf8'), 'pwned');
    const s2 = await scene(t);
    await rejects(s2, tarOf([{ name: 'a', type: '2', linkname: 'b' }, { name: 'b', type: '2', linkname: 'a' }, file('a/x')]), 'ERR_LAYER_SYMLINK_LOOP');
  });

  it('replaces a symlink by a file or a directory instead of following it (no chmod/chown through links)', async (t) => {
    const s = await scene(t);
    await safe(
      s,
      tarOf([
        { name: 'f', type: '2', linkname: `${s.victim}/file` },
        file('f', 'mine', { mode: 0o777 }),
        { name: 'd', type: '2', linkname: s.victim },
        { name: 'd/', type: '5', mode: 0o777, uid: 4242 },
      ]),
    );
    assert.equal(readFileSync(`${s.dest}/f`, 'utf8'), 'mine');
    assert.equal(lstatSync(`${s.dest}/d`).isDirectory(), true);
    assert.equal(lstatSync(`${s.dest}/d`).uid, 4242);
  });

  it('refuses hardlinks that leave the root, point to directories, or to nothing', async (t) => {
    const s = await scene(t);
    await rejects(s, tarOf([{ name: 'h', type: '1', linkname: '../victim/file' }]), 'ERR_LAYER_PATH_ESCAPE');
    // absolute targets are clamped into the root like names, where there is no such file
    await rejects(s, tarOf([{ name: 'h', type: '1', linkname: `${s.victim}/file` }]), 'ERR_LAYER_BAD_HARDLINK');
    await rejects(s, tarOf([{ name: 'd/', type: '5' }, { name: 'h', type: '1', linkname: 'd' }]), 'ERR_LAYER_BAD_HARDLINK');
    // through a symlink of the layer: resolved inside the root, still nothing there
    await rejects(s, tarOf([{ name: 's', type: '2', linkname: s.victim }, { name: 'h', type: '1', linkname: 's/file' }]), 'ERR_LAYER_BAD_HARDLINK');
    await rejects(s, tarOf([file('.wh.x'), { name: 'h', type: '1', linkname: 'x' }]), 'ERR_LAYER_BAD_HARDLINK');
  });

  it('keeps whiteouts in their directory', async (t) => {
    const s = await scene(t);
    await rejects(s, tarOf([file('../.wh.victim', '')]), 'ERR_LAYER_PATH_ESCAPE');
    await rejects(s, tarOf([file('a/.wh..', '')]), 'ERR_LAYER_BAD_WHITEOUT');
    await rejects(s, tarOf([file('.wh.', '')]), 'ERR_LAYER_BAD_WHITEOUT');
    await rejects(s, tarOf([file('a/b/.wh...', '')]), 'ERR_LAYER_BAD_WHITEOUT');
  });

  it('refuses NUL bytes in pax and GNU long names', async (t) => {
    const s = await scene(t);
    await rejects(s, tarOf([file('x', 'pwned', { pax: [['path', Buffer.from('ok\0/../../victim/pwned')]] })]), 'ERR_LAYER_BAD_NAME');
    await rejects(s, tarOf([file(Buffer.from('ok\0../../victim/pwned'), 'pwned', { gnuLongName: true })]), 'ERR_LAYER_BAD_NAME');
    await rejects(s, tarOf([{ name: 'l', type: '2', pax: [['linkpath', Buffer.from('/etc\0x')]] }]), 'ERR_LAYER_BAD_NAME');
  });

  it('applies the name rules to pax paths and linkpaths', async (t) => {
    const s = await scene(t);
    await rejects(s, tarOf([file('innocent', 'pwned', { pax: [['path', '../../victim/pax-pwned']] })]), 'ERR_LAYER_PATH_ESCAPE');
    await rejects(s, tarOf([file('t'), { name: 'h', type: '1', linkname: 't', pax: [['linkpath', '../victim/file']] }]), 'ERR_LAYER_PATH_ESCAPE');
    await safe(s, tarOf([{ name: 'l', type: '2', linkname: 'x', pax: [['linkpath', '/etc/shadow']] }, file('l', 'replaced')]));
    assert.equal(readFileSync(`${s.dest}/l`, 'utf8'), 'replaced');
  });

  it('applies the name rules to GNU long names', async (t) => {
    const s = await scene(t);
    const long = `${'a/'.repeat(60)}${'../'.repeat(62)}victim/long-pwned`;
    await rejects(s, tarOf([file(long, 'pwned', { gnuLongName: true })]), 'ERR_LAYER_PATH_ESCAPE');
  });

  it('refuses corrupt headers: bad checksum, garbage, invalid numbers', async (t) => {
    const s = await scene(t);
    const bad = tarOf([file('a', 'data')]);
    bad[0] ^= 0x01; // name changes, checksum no longer matches
    const e = await rejects(s, bad, 'ERR_LAYER_CORRUPT');
    assert.match(e.message, /checksum/);
    const garbage = Buffer.alloc(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
    await rejects(s, garbage, 'ERR_LAYER_CORRUPT');
    const badNumber = tarOf([file('a', 'data')]);
    badNumber.write('9', 124, 'latin1'); // size field: not octal
    fixChecksum(badNumber, 0);
    await rejects(s, badNumber, 'ERR_LAYER_CORRUPT');
    await rejects(s, tarOf([file('a', 'x', { pax: [['size', 'lots']] })]), 'ERR_LAYER_CORRUPT');
  });

  it('refuses a stream truncated inside an entry or a header', async (t) => {
    const s = await scene(t);
    const whole = tarOf([file('a', 'x'.repeat(3000)), file('b', 'y')], false);
    const e = await rejects(s, whole.subarray(0, BLOCK + 1000), 'ERR_LAYER_TRUNCATED');
    assert.match(e.message, /bytes short/);
    await rejects(s, whole.subarray(0, BLOCK + 3072 + 100), 'ERR_LAYER_TRUNCATED');
    await rejects(s, tarOf([file('a', 'x', { pax: [['path', 'long']] })], false).subarray(0, BLOCK + 10), 'ERR_LAYER_TRUNCATED');
  });

  it('fails on a diffID mismatch and leaves nothing', async (t) => {
    const s = await scene(t);
    const archive = tarOf([file('a/b', 'content'), { name: 'l', type: '2', linkname: '/x' }]);
    await rejects(s, archive, 'ERR_LAYER_DIFFID_MISMATCH', { expectedDiffId: sha256(Buffer.from('something else')) });
    await rejects(s, archive, 'ERR_LAYER_DIFFID_MISMATCH', { expectedDiffId: sha256(Buffer.from('something else')), worker: false });
    const r = await safe(s, archive, { expectedDiffId: sha256(archive) });
    assert.equal(r.diffId, sha256(archive));
  });

  it('enforces limits on entries, depth, name length and total size', async (t) => {
    const s = await scene(t);
    const many = tarOf(Array.from({ length: 11 }, (_, i) => file(`f${i}`)));
    await rejects(s, many, 'ERR_LAYER_LIMIT', { limits: { maxEntries: 10 } });
    await rejects(s, tarOf([file(`${'d/'.repeat(300)}f`, 'x', { gnuLongName: true })]), 'ERR_LAYER_LIMIT');
    await rejects(s, tarOf([file(`${'n'.repeat(5000)}`, 'x', { gnuLongName: true })]), 'ERR_LAYER_LIMIT');
    await rejects(s, tarOf([file('big', 'x'.repeat(2048))]), 'ERR_LAYER_LIMIT', { limits: { maxTotalSize: 1024 } });
    await rejects(s, tarOf([file('p', 'x', { pax: [['comment', 'c'.repeat(4096)]] })]), 'ERR_LAYER_LIMIT', { limits: { maxMetaSize: 1024 } });
  });

  it('refuses a huge declared size before writing anything', async (t) => {
    const s = await scene(t);
    const archive = tarOf([file('huge', 'x')]);
    // GNU base-256 size of 2^47 bytes, far over the default 128 GiB limit
    archive.fill(0, 124, 136);
    archive[124] = 0x80;
    archive.writeUIntBE(2 ** 47, 130, 6);
    fixChecksum(archive, 0);
    const e = await rejects(s, archive, 'ERR_LAYER_LIMIT');
    assert.match(e.message, /limit/);
  });

  it('refuses exotic entry types', async (t) => {
    const s = await scene(t);
    await rejects(s, tarOf([file('sparse', 'x', { type: 'S' })]), 'ERR_LAYER_UNSUPPORTED_ENTRY');
    await rejects(s, tarOf([file('vol', '', { type: 'V' })]), 'ERR_LAYER_UNSUPPORTED_ENTRY');
    await rejects(s, tarOf([file('s', 'x', { pax: [['GNU.sparse.major', '1']] })]), 'ERR_LAYER_UNSUPPORTED_ENTRY');
  });

  it('refuses entries that cannot stand where they are', async (t) => {
    const s = await scene(t);
    await rejects(s, tarOf([{ name: '.', type: '2', linkname: s.victim }]), 'ERR_LAYER_BAD_ENTRY');
    await rejects(s, tarOf([file('f'), file('f/x')]), 'ERR_LAYER_NOT_A_DIRECTORY');
    await rejects(s, tarOf([file('u', 'x', { pax: [['uid', '4294967295']] })]), 'ERR_LAYER_BAD_ENTRY');
    await rejects(s, tarOf([{ name: 'dev', type: '3', devmajor: 5000, devminor: 1 }]), 'ERR_LAYER_BAD_ENTRY');
  });

  it('creates device nodes without opening them and replaces (never writes into) them', async (t) => {
    const s = await scene(t);
    await safe(
      s,
      tarOf([
        { name: 'dev/mem', type: '3', devmajor: 1, devminor: 1, mode: 0o640 },
        { name: 'dev/disk', type: '4', devmajor: 8, devminor: 0, mode: 0o660 },
        { name: 'pipe', type: '6' },
        file('pipe', 'a writer that opened the fifo would block here forever'),
        { name: 'null', type: '3', devmajor: 1, devminor: 3 },
        file('null', 'kept, not swallowed by /dev/null'),
      ]),
    );
    const mem = lstatSync(`${s.dest}/dev/mem`);
    assert.ok(mem.isCharacterDevice() && mem.rdev === 0x101, 'kept as in the tar');
    assert.ok(lstatSync(`${s.dest}/dev/disk`).isBlockDevice());
    assert.ok(lstatSync(`${s.dest}/pipe`).isFile());
    assert.equal(readFileSync(`${s.dest}/null`, 'utf8'), 'kept, not swallowed by /dev/null');
  });

  it('replaces a directory by a file (and its content goes with it)', async (t) => {
    const s = await scene(t);
    await safe(s, tarOf([{ name: 'd/', type: '5' }, file('d/x', 'inner'), file('d', 'now a file')]));
    assert.equal(readFileSync(`${s.dest}/d`, 'utf8'), 'now a file');
  });

  it('drops xattrs outside the allowed namespaces', async (t) => {
    const s = await scene(t);
    const r = await safe(
      s,
      tarOf([
        file('x', 'data', {
          pax: [
            ['SCHILY.xattr.user.ok', 'yes'],
            ['SCHILY.xattr.security.selinux', 'system_u:object_r:shadow_t:s0'],
            ['SCHILY.xattr.trusted.overlay.redirect', '/etc'],
            ['SCHILY.xattr.system.posix_acl_access', Buffer.from([2, 0, 0, 0])],
          ],
        }),
      ]),
    );
    assert.equal(r.skippedXattrs, 3);
    const tree = treeOf(s.dest);
    assert.equal(tree[0].xattrs, `user.ok=${Buffer.from('yes').toString('hex')}`);
  });

  it('refuses to extract into an existing directory and leaves it alone', async (t) => {
    const s = await scene(t);
    await assert.rejects(extractLayer(streamOf(tarOf([file('a')])), s.victim), (e: unknown) => e instanceof BerthError && e.code === 'ERR_LAYER_DEST_EXISTS');
    untouched(s);
  });
});
