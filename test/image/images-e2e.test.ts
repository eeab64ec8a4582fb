import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it, before, after } from 'node:test';
import { readTarSplit } from '../../src/archive/tar-split.js';
import { collect } from '../archive/tar-build.js';
import { berth, docker, request, run, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxTar } from '../helpers/images.js';
import { tempDir } from '../helpers/tmp.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
}

/** What the daemon keeps for images: blobs and snapshots (for "nothing left behind" checks). */
function storeContents(d: TestDaemon): { blobs: string[]; snapshots: string[] } {
  return {
    blobs: listDir(join(d.dataRoot, 'content', 'blobs', 'sha256')).sort(),
    snapshots: listDir(join(d.dataRoot, 'snapshots')).sort(),
  };
}

describe('images through berthd, berth and the docker CLI', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon(undefined);
  });
  after(async () => {
    await d.stop();
    await run('rm', ['-rf', d.dir]);
  });

  it('imports the busybox rootfs and lists it identically in berth and docker', async () => {
    const r = await berth(d, ['import', '--change', 'CMD ["sh"]', '--change', 'ENV A=1', '-', 'busybox:latest'], { input: busyboxTar() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const id = r.stdout.trim();
    const ours = await berth(d, ['images']);
    const theirs = await docker(d, ['images']);
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(ours.stdout, theirs.stdout);
    assert.match(ours.stdout, new RegExp(`^busybox\\s+latest\\s+${id.slice(7, 19)}\\s+.* ago\\s+1\\.98MB$`, 'm'));

    const inspect = JSON.parse((await docker(d, ['image', 'inspect', 'busybox'])).stdout)[0];
    assert.equal(inspect.Id, id);
    assert.deepEqual(inspect.Config.Cmd, ['sh']);
    assert.deepEqual(inspect.Config.Env, ['A=1']);
    assert.equal(inspect.Comment, 'Imported from -');
    assert.equal(inspect.RootFS.Layers.length, 1);
    // The layer is the uncompressed tar exactly as sent, so its digest is the diffID.
    assert.equal(inspect.RootFS.Layers[0], `sha256:${sha256(busyboxTar())}`);
    // The image ID is the sha256 of the config blob in the content store.
    const configBlob = join(d.dataRoot, 'content', 'blobs', 'sha256', id.slice(7));
    assert.equal(sha256(execFileSync('cat', [configBlob])), id.slice(7));
    // The layer is kept as its snapshot and tar-split record: the rebuilt tar is one GNU tar
    // reads back with every applet.
    const snapshot = dirname(inspect.GraphDriver.Data.UpperDir as string);
    const layer = await collect(readTarSplit(`${snapshot}/layer.split`, `${snapshot}/fs`));
    const listing = execFileSync('tar', ['-t'], { input: layer }).toString();
    assert.match(listing, /\.\/bin\/busybox\n/);
    assert.match(listing, /\.\/bin\/sh\n/);
  });

  it('imports gzip-compressed archives through docker import with a message', async () => {
    const dir = await tempDir(undefined);
    const file = join(dir, 'rootfs.tar.gz');
    writeFileSync(file, gzipSync(busyboxTar()));
    const r = await docker(d, ['import', '-m', 'from gzip', file, 'gz/busybox:v1']);
    assert.equal(r.code, 0, r.stderr);
    const inspect = JSON.parse((await berth(d, ['image', 'inspect', 'gz/busybox:v1'])).stdout)[0];
    assert.equal(inspect.Comment, 'from gzip');
    assert.equal(inspect.RootFS.Layers[0], `sha256:${sha256(busyboxTar())}`);
    await run('rm', ['-rf', dir]);
  });

  it('shares one snapshot between images with the same layer', async () => {
    const before = storeContents(d);
    const r = await berth(d, ['import', '-', 'another:v1'], { input: busyboxTar() });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(storeContents(d).snapshots, before.snapshots);
    await berth(d, ['rmi', 'another:v1']);
  });

  it('shows history like docker', async () => {
    const ours = await berth(d, ['history', 'busybox']);
    const theirs = await docker(d, ['history', 'busybox']);
    assert.equal(ours.stdout, theirs.stdout);
    assert.match(ours.stdout, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT\n[0-9a-f]{12}\s+.*1\.98MB\s+Imported from -\n$/);
  });

  it('tags and untags with Docker semantics', async () => {
    assert.equal((await docker(d, ['tag', 'busybox', '127.0.0.1:5000/sample/busybox:v1'])).code, 0);
    assert.equal((await berth(d, ['tag', 'busybox', 'second'])).code, 0);
    const tags = JSON.parse((await berth(d, ['image', 'inspect', 'busybox'])).stdout)[0].RepoTags;
    assert.deepEqual(tags, ['127.0.0.1:5000/sample/busybox:v1', 'busybox:latest', 'second:latest']);
    // Removing one name of several only untags.
    const rm = await docker(d, ['rmi', '127.0.0.1:5000/sample/busybox:v1']);
    assert.equal(rm.stdout, 'Untagged: 127.0.0.1:5000/sample/busybox:v1\n');
    // Deleting by ID while names in two repositories remain needs force.
    const id = JSON.parse((await berth(d, ['image', 'inspect', 'busybox'])).stdout)[0].Id as string;
    const refused = await berth(d, ['rmi', id.slice(7, 19)]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, `Error response from daemon: conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories\n`);
    assert.equal((await berth(d, ['rmi', 'second'])).stdout, 'Untagged: second:latest\n');
  });

  it('lists only the names that match a reference filter, as dockerd does', async () => {
    assert.equal((await docker(d, ['tag', 'busybox', 'reffilter:v1'])).code, 0);
    assert.equal((await docker(d, ['tag', 'busybox', 'other/reffilter:v2'])).code, 0);
    const names = async (args: string[]) => (await docker(d, ['images', '--format', '{{.Repository}}:{{.Tag}}', ...args])).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(await names(['reffilter']), ['reffilter:v1']);
    assert.deepEqual(await names(['--filter', 'reference=*/reffilter']), ['other/reffilter:v2']);
    assert.deepEqual(await names(['--filter', 'reference=reffilter:v1', '--filter', 'reference=other/*:v2']), ['other/reffilter:v2', 'reffilter:v1']);
    assert.deepEqual(await names(['--filter', 'reference=nothing*']), []);
    assert.equal((await docker(d, ['rmi', 'reffilter:v1', 'other/reffilter:v2'])).code, 0);
  });

  it('answers unknown images and bad references with Docker status codes and messages', async () => {
    const missing = await request(d, 'GET', '/v1.41/images/nosuch/json');
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).message, 'no such image: nosuch: No such image: nosuch:latest'); // dockerd 20.10's words
    const dockerMissing = await docker(d, ['rmi', 'nosuch']);
    assert.equal(dockerMissing.code, 1);
    assert.match(dockerMissing.stderr, /No such image: nosuch:latest/);
    const badTag = await request(d, 'POST', '/v1.41/images/busybox/tag?repo=Bad&tag=x');
    assert.equal(badTag.status, 400);
    assert.equal(JSON.parse(badTag.body).message, 'invalid reference format: repository name (library/Bad) must be lowercase');
    const badImport = await request(d, 'POST', '/v1.41/images/create?fromSrc=-&repo=UPPER', { body: busyboxTar() });
    assert.equal(badImport.status, 400);
    // dockerd 20.10's wording (API 1.41): capital I, and the change instruction lowercased
    const badFilter = await request(d, 'GET', `/v1.41/images/json?filters=${encodeURIComponent('{"bogus":["1"]}')}`);
    assert.equal(badFilter.status, 400);
    assert.equal(JSON.parse(badFilter.body).message, "Invalid filter 'bogus'");
    const badChange = await docker(d, ['import', '-c', 'RUN echo', '-', 'x:y'], { input: busyboxTar() });
    assert.equal(badChange.code, 1);
    assert.match(badChange.stderr, /Error response from daemon: run is not a valid change command/);
    const inspectMissing = await docker(d, ['image', 'inspect', 'nosuch']);
    assert.equal(inspectMissing.code, 1);
    assert.match(inspectMissing.stderr, /No such image: nosuch/);
  });

  it('rejects corrupt and truncated archives with a precise error and leaves nothing behind', async () => {
    const before = storeContents(d);
    const tar = busyboxTar();
    const corrupt = Buffer.from(tar);
    corrupt[600] ^= 0xff; // inside the second header: its checksum no longer matches
    const r1 = await berth(d, ['import', '-', 'corrupt:v1'], { input: corrupt });
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /checksum|corrupt/i);
    const truncatedGzip = gzipSync(tar).subarray(0, 100_000);
    const r2 = await berth(d, ['import', '-', 'trunc:v1'], { input: truncatedGzip });
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /unexpected end|truncated|corrupt/i);
    const r3 = await berth(d, ['import', '-', 'garbage:v1'], { input: Buffer.alloc(10_000, 0x41) });
    assert.equal(r3.code, 1);
    assert.deepEqual(storeContents(d), before);
    assert.equal((await berth(d, ['images', '-q', 'corrupt'])).stdout, '');
    assert.deepEqual(readdirSync(join(d.dataRoot, 'content', 'ingest')), []);
  });

  it('prunes dangling images and reports reclaimed space', async () => {
    const r = await berth(d, ['import', '-'], { input: gzipSync(busyboxTar()) });
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match((await docker(d, ['images'])).stdout, /<none>\s+<none>/);
    const pruned = await docker(d, ['image', 'prune', '-f']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, new RegExp(`deleted: ${id}`));
    // Its layer is busybox's too: nothing is freed, and dockerd says so.
    assert.match(pruned.stdout, /\nTotal reclaimed space: 0B\n$/);
    assert.equal((await berth(d, ['images', '-q', '--filter', 'dangling=true'])).stdout, '');
    // A layer of its own is counted once, however many images held it.
    const dir = await tempDir(undefined, 'bt-prune-');
    execFileSync('mkdir', ['-p', join(dir, 'src')]);
    writeFileSync(join(dir, 'src', 'hello'), 'hello\n');
    execFileSync('tar', ['-cf', join(dir, 'own.tar'), '-C', join(dir, 'src'), '.']);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await berth(d, ['import', '-m', `copy ${i}`, join(dir, 'own.tar')])).stdout.trim());
    assert.notEqual(ids[0], ids[1]);
    const both = await docker(d, ['image', 'prune', '-f']);
    for (const id of ids) assert.match(both.stdout, new RegExp(`deleted: ${id}`));
    assert.match(both.stdout, /\nTotal reclaimed space: 6B\n$/);
    await run('rm', ['-rf', dir]);
  });

  it('keeps images across a daemon restart', async () => {
    const listBefore = (await berth(d, ['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'])).stdout;
    await d.stop();
    d = await startDaemon(undefined, { dir: d.dir });
    assert.equal((await berth(d, ['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'])).stdout, listBefore);
  });

  it('deletes the last name with its layers and blobs', async () => {
    for (const name of ['gz/busybox:v1', 'busybox']) {
      const r = await docker(d, ['rmi', name]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.deepEqual(storeContents(d), { blobs: [], snapshots: [] });
    assert.equal(statSync(join(d.dataRoot, 'images', 'references.json')).isFile(), true);
  });
});

describe('import on a full disk', () => {
  it('fails with a clear error and leaves no partial blob or snapshot', async () => {
    const dir = await tempDir(undefined, 'bt-full-');
    const dataRoot = join(dir, 'data');
    execFileSync('mkdir', ['-p', dataRoot]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dataRoot]);
    let d: TestDaemon | undefined;
    try {
      d = await startDaemon(undefined, { dir });
      // Two concatenated busybox trees: the first copy alone needs most of the 3 MB.
      const big = Buffer.concat([busyboxTar().subarray(0, busyboxTar().length - 1024), busyboxTar()]);
      const r = await berth(d, ['import', '-', 'full:v1'], { input: big });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no space left on device/);
      assert.deepEqual(storeContents(d), { blobs: [], snapshots: [] });
      assert.deepEqual(readdirSync(join(dataRoot, 'content', 'ingest')), []);
      // The daemon still works afterwards.
      assert.equal((await berth(d, ['images', '-q'])).code, 0);
    } finally {
      await d?.stop();
      await run('umount', ['-l', dataRoot]);
      await run('rm', ['-rf', dir]);
    }
  });
});
