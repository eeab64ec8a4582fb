/**
 * Tar-split records: a layer extracted with `splitFile` rebuilds byte for byte from its tree and
 * the record (legitimate, hostile-but-safe, mutated and GNU tar archives, the busybox image),
 * whatever the chunking and when the layer replaces its own files; a tree changed afterwards is
 * refused without reading outside it; a failed extraction leaves no record behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { appendFile, chmod, link, mkdir, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { extractLayer } from '../../src/archive/extract.js';
import { BLOCK, rawPaxBlocks } from '../../src/archive/tar-header.js';
import { TarSplitWriter, readTarSplit, savedFileOf } from '../../src/archive/tar-split.js';
import { BerthError } from '../../src/core/errors.js';
import { mknod, S_IFCHR, S_IFIFO } from '../../src/sys/libc.js';
import { busyboxTar } from '../helpers/images.js';
import { tempDir } from '../helpers/tmp.js';
import { collect, fixChecksum, rng, seedLayer, sha256, streamOf, tarOf, type RawEntry } from './tar-build.js';

const rebuild = (split: string, root: string) => collect(readTarSplit(split, root));

/** Extract `archive` with a record into `<dir>/<name>`, rebuild it and compare. */
async function roundTrip(dir: string, name: string, archive: Buffer, opts: { chunk?: number; worker?: boolean } = {}) {
  const dest = `${dir}/${name}`;
  const split = `${dir}/${name}.split`;
  const r = await extractLayer(streamOf(archive, opts.chunk ?? 777), dest, { splitFile: split, worker: opts.worker ?? true });
  const out = await rebuild(split, dest);
  assert.equal(out.length, archive.length, `${name}: length`);
  assert.equal(sha256(out), sha256(archive), `${name}: sha256`);
  if (archive.length <= 4 << 20) assert.ok(out.equals(archive), `${name}: bytes`);
  assert.equal(r.diffId, sha256(out), `${name}: diffID`);
  return { dest, split, out };
}

async function splitError(split: string, root: string): Promise<{ error: BerthError; yielded: Buffer }> {
  const parts: Buffer[] = [];
  try {
    for await (const c of readTarSplit(split, root)) parts.push(Buffer.from(c));
  } catch (e) {
    assert.ok(e instanceof BerthError, String(e));
    assert.equal(e.code, 'ERR_LAYER_SPLIT_CORRUPT', e.message);
    return { error: e, yielded: Buffer.concat(parts) };
  }
  assert.fail('the rebuild should have failed');
}

const T = 1_600_000_000;

/** Every entry type, and every kind of content the extractor writes to no file. */
const varied: RawEntry[] = [
  { name: './', type: '0', mode: 0o755, data: 'root dir written as a file with a slash' },
  { name: 'bin/', type: '5', mtime: T },
  { name: 'bin/busybox', data: 'E'.repeat(5000), mode: 0o755 },
  { name: 'bin/sh', type: '2', linkname: '/bin/busybox' },
  { name: 'bin/ls', type: '1', linkname: 'bin/busybox' },
  { name: 'bin/ls2', type: '1', linkname: 'bin/busybox', size: 100 }, // a size field but no data (as Go reads it)
  { name: 'bin/self', type: '1', linkname: 'bin/busybox' },
  { name: 'bin/self', type: '1', linkname: 'bin/self' }, // a link to itself
  { name: 'usr/bin/passwd', data: 'suid', mode: 0o4755 },
  { name: 'exactly-a-block', data: 'b'.repeat(BLOCK) },
  { name: 'empty', data: '' },
  { name: 'contiguous', type: '7', data: 'type 7 is a regular file' },
  { name: 'dev/null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 },
  { name: 'dev/loop0', type: '4', devmajor: 7, devminor: 0 },
  { name: 'run/fifo', type: '6' },
  { name: 'old/', type: '0', mode: 0o755, data: 'an old-style directory with data' },
  { name: 'x/.wh.gone', data: 'a whiteout with data' },
  { name: 'x/.wh..wh..opq', data: 'an opaque marker with data' },
  { name: 'z/.wh..wh.plnk', data: 'aufs bookkeeping with data' },
  { name: 'cap/ping', data: 'ping', pax: [['SCHILY.xattr.user.note', 'n'], ['mtime', `${T}.25`]] },
  { name: 'x', data: 'pax name', pax: [['path', `deep/${'long-name-'.repeat(20)}/file`]] },
  { name: `gnu/${'g'.repeat(150)}`, data: 'gnu long name', gnuLongName: true },
  { name: 'ünïcødé/文件', data: 'utf8', pax: [['path', 'ünïcødé/文件']] },
];

/** What the hostile tests extract safely: absolute names, escaping symlinks resolved inside. */
const hostileSafe: RawEntry[] = [
  { name: '/abs/file', data: 'absolute name, clamped' },
  { name: 'evil', type: '2', linkname: '/etc' },
  { name: 'evil/passwd', data: 'written at <root>/etc/passwd' },
  { name: 'd/rel', type: '2', linkname: '../../../../../victim' },
  { name: 'd/rel/pwned', data: 'at <root>/victim/pwned' },
  { name: 'a', type: '2', linkname: 'b' },
  { name: 'b', type: '2', linkname: '../../etc' },
  { name: 'a/chain', data: 'through a chain' },
  { name: 'f', type: '2', linkname: '/etc/shadow' },
  { name: 'f', data: 'a symlink replaced by a file', mode: 0o777 },
  { name: 'pipe', type: '6' },
  { name: 'pipe', data: 'a fifo replaced by a file' },
  { name: 'null', type: '3', devmajor: 1, devminor: 3 },
  { name: 'null', data: 'a device replaced by a file' },
  { name: 'l', type: '2', linkname: 'x', pax: [['linkpath', '/etc/shadow']] },
  { name: 'l', data: 'replaced' },
  { name: 'xattrs', data: 'data', pax: [['SCHILY.xattr.security.selinux', 'system_u:object_r:shadow_t:s0'], ['SCHILY.xattr.user.ok', 'yes']] },
];

/** A tree of every kind of file for GNU tar to archive. */
async function fixtureTree(root: string): Promise<void> {
  const deep = `${root}/usr/lib/deep/${'d'.repeat(90)}/${'e'.repeat(90)}`;
  await mkdir(deep, { recursive: true });
  await mkdir(`${root}/etc/app`, { recursive: true });
  await writeFile(`${root}/etc/app/conf`, 'key=value\n');
  await writeFile(`${deep}/${'f'.repeat(120)}`, Buffer.alloc(70_000, 3));
  const big = Buffer.alloc(1_500_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  await writeFile(`${root}/usr/lib/big`, big); // spans several 1 MiB batches
  await link(`${root}/usr/lib/big`, `${root}/usr/lib/big-link`);
  await writeFile(`${root}/empty`, '');
  await link(`${root}/empty`, `${root}/empty-link`);
  await writeFile(`${root}/block`, Buffer.alloc(BLOCK, 1));
  await symlink('/etc/app/conf', `${root}/etc/abs-link`);
  await symlink(`../${'x'.repeat(150)}`, `${root}/etc/long-target`);
  await writeFile(`${root}/usr/lib/suid`, 'x');
  await chmod(`${root}/usr/lib/suid`, 0o4711);
  mknod(`${root}/usr/lib/null`, S_IFCHR | 0o666, 1, 3);
  mknod(`${root}/usr/lib/fifo`, S_IFIFO | 0o644, 0, 0);
  await writeFile(`${root}/ünïcødé`, 'utf8 name');
}

describe('tar-split records', () => {
  it('rebuild varied and hostile-but-safe layers byte for byte', async (t) => {
    const tmp = await tempDir(t);
    await roundTrip(tmp, 'varied', tarOf(varied));
    await roundTrip(tmp, 'varied-inline', tarOf(varied), { worker: false });
    await roundTrip(tmp, 'hostile', tarOf(hostileSafe));
    await roundTrip(tmp, 'global-pax', Buffer.concat([rawPaxBlocks([['comment', 'global header']], true), tarOf(varied)]));
    // content kept inline and bytes after the end, both over the record's 1 MiB buffer
    const bigInline = tarOf([{ name: 'w/.wh.big', data: Buffer.alloc(1_300_000, 0x61) }, { name: 'f', data: 'after' }]);
    await roundTrip(tmp, 'big-inline', bigInline);
    const garbage = Buffer.alloc(2_500_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
    await roundTrip(tmp, 'big-trailing', Buffer.concat([tarOf(varied), garbage]));
  });

  it('rebuild the endings the reader tolerates: no end blocks (padded or not), one zero block, trailing bytes', async (t) => {
    const tmp = await tempDir(t);
    const whole = tarOf([{ name: 'a', data: 'x'.repeat(700) }, { name: 'b', data: 'last bytes' }], false);
    const cases = {
      padded: whole,
      unpadded: whole.subarray(0, whole.length - (BLOCK - 10)),
      halfPadded: whole.subarray(0, whole.length - 100),
      oneZero: Buffer.concat([whole, Buffer.alloc(BLOCK)]),
      trailing: Buffer.concat([whole, Buffer.alloc(2 * BLOCK), Buffer.from('ignored trailing bytes')]),
      partialZero: Buffer.concat([whole, Buffer.alloc(BLOCK + 100)]),
    };
    for (const [name, bytes] of Object.entries(cases)) await roundTrip(tmp, name, bytes);
  });

  it('rebuild what GNU tar writes (gnu, pax and ustar formats, hardlinks, devices, a 1.5 MB file), with trailing garbage too', async (t) => {
    const tmp = await tempDir(t);
    await fixtureTree(`${tmp}/src`);
    for (const format of ['gnu', 'posix', 'ustar']) {
      const file = `${tmp}/${format}.tar`;
      execFileSync('tar', ['--format', format, '--xattrs', '--numeric-owner', '-C', `${tmp}/src`, '-cf', file, '.'], { stdio: ['ignore', 'ignore', 'pipe'] });
      const archive = readFileSync(file);
      await roundTrip(tmp, format, archive);
      await roundTrip(tmp, `${format}-small-chunks`, archive, { chunk: 4099, worker: false });
      await roundTrip(tmp, `${format}-garbage`, Buffer.concat([archive, Buffer.from('garbage after the end blocks\n'.repeat(50))]));
    }
  });

  it('rebuild the busybox image', async (t) => {
    const tmp = await tempDir(t);
    await roundTrip(tmp, 'busybox', busyboxTar());
  });

  it('rebuild every mutated archive that extracts', async (t) => {
    const tmp = await tempDir(t);
    const original = tarOf([...seedLayer, { name: 'bin/busybox', data: 'replaced' }]);
    const random = rng(0x2545f491);
    let rebuilt = 0;
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(original);
      for (let n = 0; n < 1 + Math.floor(random() * 3); n++) {
        const block = Math.floor(random() * (bytes.length / BLOCK)) * BLOCK;
        bytes[block + Math.floor(random() * BLOCK)] ^= 1 << Math.floor(random() * 8);
        if (i % 2 === 1) fixChecksum(bytes, block); // a different but well-formed header (or data)
      }
      const input = i % 4 === 3 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      try {
        await extractLayer(streamOf(input, 300), `${tmp}/m${i}`, { splitFile: `${tmp}/m${i}.split`, worker: false });
      } catch (e) {
        assert.ok(e instanceof BerthError, String(e));
        assert.ok(!existsSync(`${tmp}/m${i}.split`) && !existsSync(savedFileOf(`${tmp}/m${i}.split`)), `mutation ${i}: record left after ${e.code}`);
        continue;
      }
      assert.ok((await rebuild(`${tmp}/m${i}.split`, `${tmp}/m${i}`)).equals(input), `mutation ${i}`);
      rebuilt++;
    }
    assert.ok(rebuilt > 40, `only ${rebuilt} mutations extracted`);
  });

  it('keep the content of files the layer itself replaces', async (t) => {
    const tmp = await tempDir(t);
    const cases: Record<string, RawEntry[]> = {
      fileOverFile: [
        { name: 'a', data: 'first version '.repeat(300) },
        { name: 'b', data: 'between' },
        { name: 'a', data: 'second version' },
      ],
      thrice: [
        { name: 'a', data: 'one'.repeat(1000) },
        { name: 'a', data: 'two'.repeat(2000) },
        { name: 'a', data: '' },
        { name: 'a', data: 'four' },
      ],
      dirOverFile: [
        { name: 'd', data: 'x'.repeat(600) },
        { name: 'd/', type: '5' },
        { name: 'd/y', data: 'inside' },
      ],
      fileOverDir: [
        { name: 'd/', type: '5' },
        { name: 'd/x', data: 'inner x' },
        { name: 'd/sub/y', data: 'inner y'.repeat(200) },
        { name: 'd/sub/deeper/z', data: 'inner z' },
        { name: 'd/sub/y', data: 'y replaced inside the tree' },
        { name: 'd', data: 'now a file' },
        { name: 'd', type: '5' },
        { name: 'd/x', data: 'a new x' },
      ],
      hardlinkTargetReplaced: [
        { name: 't', data: 'T'.repeat(1000) },
        { name: 'h', type: '1', linkname: 't' },
        { name: 't', data: 'new t' },
        { name: 'h2', type: '1', linkname: 't' },
        { name: 'h2', data: 'a file over a hardlink' },
      ],
      throughSymlinkedParent: [
        { name: 'lib', type: '2', linkname: 'usr/lib' },
        { name: 'lib/x.so', data: 'through the link' },
        { name: 'usr/lib/y.so', data: 'direct' },
        { name: 'usr/lib', type: '2', linkname: '/elsewhere' },
        { name: 'usr/lib/z', data: 'under the new link' },
      ],
      symlinkOverDirOfFiles: [
        { name: 'd/a', data: 'a' },
        { name: 'd/b', data: 'b'.repeat(2000) },
        { name: 'd', type: '2', linkname: 'target' },
      ],
    };
    for (const [name, entries] of Object.entries(cases)) {
      const { split } = await roundTrip(tmp, name, tarOf(entries));
      assert.ok(existsSync(savedFileOf(split)), `${name}: the replaced content is saved`);
      await roundTrip(tmp, `${name}-inline`, tarOf(entries), { worker: false, chunk: 100 });
    }
    const plain = await roundTrip(tmp, 'plain', tarOf(varied));
    assert.equal(existsSync(savedFileOf(plain.split)), false, 'no saved file when nothing is replaced');
  });

  it('write the same record whatever the chunking', async (t) => {
    const tmp = await tempDir(t);
    const archive = tarOf([
      ...varied,
      { name: 'a', data: 'first'.repeat(100) },
      { name: 'a', data: 'second' },
      { name: 'dir/x', data: 'x' },
      { name: 'dir', data: 'file over dir' },
    ]);
    const runs: Array<{ chunk: number; worker: boolean }> = [
      { chunk: 1, worker: false },
      { chunk: 511, worker: false },
      { chunk: 513, worker: false },
      { chunk: archive.length, worker: false },
      { chunk: 777, worker: true },
    ];
    const records: Buffer[] = [];
    const saved: Buffer[] = [];
    for (const [i, run] of runs.entries()) {
      const { split } = await roundTrip(tmp, `c${i}`, archive, run);
      records.push(readFileSync(split));
      saved.push(readFileSync(savedFileOf(split)));
    }
    for (let i = 1; i < runs.length; i++) {
      assert.ok(records[i].equals(records[0]), `record with chunks of ${runs[i].chunk}`);
      assert.ok(saved[i].equals(saved[0]), `saved file with chunks of ${runs[i].chunk}`);
    }
  });

  it('refuse a tree whose files changed size, type or place, naming the file', async (t) => {
    const tmp = await tempDir(t);
    const big = Buffer.alloc(1_200_000, 0x42);
    const archive = tarOf([
      { name: 'first', data: big },
      { name: 'etc/passwd', data: 'root:x:0:0::/root:/bin/sh\n' },
      { name: 'd/secret', data: 'in the layer' },
      { name: 'last', data: 'z'.repeat(3000) },
    ]);
    const { dest, split } = await roundTrip(tmp, 'L', archive);

    await appendFile(`${dest}/last`, 'more');
    let r = await splitError(split, dest);
    assert.match(r.error.message, /"last" has 3004 bytes, the layer recorded 3000/);
    await truncate(`${dest}/last`, 10);
    assert.match((await splitError(split, dest)).error.message, /"last" has 10 bytes/);
    await rm(`${dest}/last`);
    assert.match((await splitError(split, dest)).error.message, /"last" is missing/);
    await writeFile(`${dest}/last`, 'z'.repeat(3000));
    assert.ok((await rebuild(split, dest)).equals(archive), 'the same content again rebuilds');

    // a file replaced by a symlink to a host file: never followed
    await rm(`${dest}/etc/passwd`);
    await symlink('/etc/passwd', `${dest}/etc/passwd`);
    r = await splitError(split, dest);
    assert.match(r.error.message, /"etc\/passwd" is now a symbolic link/);
    assert.ok(!r.yielded.includes(readFileSync('/etc/passwd').subarray(0, 20)), 'nothing of the host file was read');
    await rm(`${dest}/etc/passwd`);
    mknod(`${dest}/etc/passwd`, S_IFIFO | 0o644, 0, 0);
    assert.match((await splitError(split, dest)).error.message, /"etc\/passwd" is no longer a regular file/);
    await rm(`${dest}/etc/passwd`);
    await writeFile(`${dest}/etc/passwd`, 'root:x:0:0::/root:/bin/sh\n');

    // a directory on the way swapped for a symlink to an outside file of the same size
    await mkdir(`${tmp}/outside`);
    await writeFile(`${tmp}/outside/secret`, 'OUTSIDE-DATA');
    await rename(`${dest}/d`, `${tmp}/moved-d`);
    await symlink(`${tmp}/outside`, `${dest}/d`);
    r = await splitError(split, dest);
    assert.match(r.error.message, /"d\/secret" leads outside the layer/);
    assert.ok(!r.yielded.includes(Buffer.from('OUTSIDE-DATA')), 'nothing outside was read');
  });

  it('close every file it opened ahead when its reader stops early or the rebuild fails', async (t) => {
    const tmp = await tempDir(t);
    const many: RawEntry[] = Array.from({ length: 100 }, (_, i) => ({ name: `f/${i}`, data: `${i}`.repeat(20_000 + i) }));
    many.push({ name: 'a', data: 'A'.repeat(500_000) }, { name: 'a', data: 'A replaced' }, { name: 'big', data: Buffer.alloc(1_500_000, 1) });
    const { dest, split } = await roundTrip(tmp, 'L', tarOf(many));
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    for await (const chunk of readTarSplit(split, dest)) {
      assert.ok(chunk.length > 0);
      break;
    }
    assert.equal(fds(), before, 'after a break');
    await truncate(`${dest}/f/90`, 3);
    const r = await splitError(split, dest);
    assert.match(r.error.message, /"f\/90" has 3 bytes/);
    assert.ok(r.yielded.length > 1 << 20, 'the files before it were streamed first');
    assert.equal(fds(), before, 'after a failure');
  });

  it('refuse recorded paths that leave the tree, and damaged records', async (t) => {
    const tmp = await tempDir(t);
    await mkdir(`${tmp}/fs`);
    await writeFile(`${tmp}/secret`, 'outside');
    for (const path of ['../secret', `${tmp}/secret`, 'a/../../secret', './x', 'a//b']) {
      const file = `${tmp}/rec-${Math.random().toString(36).slice(2)}`;
      const w = new TarSplitWriter(file, `${tmp}/fs`);
      w.raw(Buffer.alloc(BLOCK));
      w.file(path, 7);
      w.finish();
      assert.match((await splitError(file, `${tmp}/fs`)).error.message, /refusing the recorded path/, path);
    }
    const { dest, split } = await roundTrip(tmp, 'L', tarOf(varied));
    const record = readFileSync(split);
    for (const [what, bytes] of Object.entries({
      truncated: record.subarray(0, record.length - 5),
      cut: record.subarray(0, record.length >> 1),
      badMagic: Buffer.concat([Buffer.from('NOTSPLIT'), record.subarray(8)]),
      empty: Buffer.alloc(0),
    })) {
      await writeFile(`${tmp}/damaged`, bytes);
      await splitError(`${tmp}/damaged`, dest).catch((e: unknown) => assert.fail(`${what}: ${String(e)}`));
    }
    await splitError(`${tmp}/no-such-record`, dest);
  });

  it('leave no record when the extraction fails, and refuse to overwrite one', async (t) => {
    const tmp = await tempDir(t);
    const replacing: RawEntry[] = [
      { name: 'a', data: 'first'.repeat(500) },
      { name: 'a', data: 'second' }, // makes the saved file exist
      { name: 'b', data: 'x'.repeat(5000) },
    ];
    const truncated = tarOf(replacing, false).subarray(0, -3000);
    for (const worker of [true, false]) {
      await assert.rejects(extractLayer(streamOf(truncated), `${tmp}/L`, { splitFile: `${tmp}/L.split`, worker }), (e: unknown) => e instanceof BerthError && e.code === 'ERR_LAYER_TRUNCATED');
      assert.deepEqual(readdirSync(tmp), [], `worker ${worker}: nothing left`);
      const mismatch = extractLayer(streamOf(tarOf(replacing)), `${tmp}/L`, { splitFile: `${tmp}/L.split`, worker, expectedDiffId: sha256(Buffer.from('other')) });
      await assert.rejects(mismatch, (e: unknown) => e instanceof BerthError && e.code === 'ERR_LAYER_DIFFID_MISMATCH');
      assert.deepEqual(readdirSync(tmp), [], `worker ${worker}: nothing left after a diffID mismatch`);
    }
    await writeFile(`${tmp}/L.split`, 'not ours');
    await assert.rejects(extractLayer(streamOf(tarOf(replacing)), `${tmp}/L`, { splitFile: `${tmp}/L.split` }), (e: unknown) => e instanceof BerthError && e.code === 'ERR_LAYER_DEST_EXISTS');
    assert.deepEqual(readdirSync(tmp), ['L.split']);
    assert.equal(readFileSync(`${tmp}/L.split`, 'utf8'), 'not ours');
  });
});
