/**
 * Layers made by berthd (import, commit) are kept as snapshots with tar-split records, not as
 * blobs: the content store holds configs and manifests only, the images run, each layer's tar
 * rebuilds from its snapshot with its diffID, and removing the images removes the records.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readTarSplit } from '../../src/archive/tar-split.js';
import { berth, run, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { collect } from '../archive/tar-build.js';
import { busyboxTar } from '../helpers/images.js';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Inspect {
  Id: string;
  RootFS: { Layers: string[] };
  GraphDriver: { Data: { UpperDir: string } };
}

describe('layers kept as tar-split records, not blobs', () => {
  let d: TestDaemon;
  const blobs = () => readdirSync(join(d.dataRoot, 'content', 'blobs', 'sha256')).map((h) => `sha256:${h}`);
  const blob = (digest: string) => readFileSync(join(d.dataRoot, 'content', 'blobs', 'sha256', digest.slice(7)));
  const inspect = async (name: string) => {
    const r = await berth(d, ['image', 'inspect', name]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as Inspect[])[0];
  };
  const manifestOf = (id: string) => {
    const rec = JSON.parse(readFileSync(join(d.dataRoot, 'images', 'records', `${id.slice(7)}.json`), 'utf8')) as { manifest: { digest: string } };
    return JSON.parse(blob(rec.manifest.digest).toString()) as { layers: Array<{ digest: string; size: number }> };
  };
  /** The top layer's tar, rebuilt from its snapshot directory (read only, beside the daemon). */
  const topLayerTar = async (info: Inspect) => {
    const snapshot = dirname(info.GraphDriver.Data.UpperDir);
    assert.ok(existsSync(`${snapshot}/layer.split`), 'the snapshot has its record');
    return collect(readTarSplit(`${snapshot}/layer.split`, `${snapshot}/fs`));
  };

  before(async () => {
    d = await startDaemon(undefined);
  });
  after(async () => {
    await d.stop();
    await run('rm', ['-rf', d.dir]);
  });

  it('import stores no layer blob; the image runs and its layer rebuilds with its diffID', async () => {
    const r = await berth(d, ['import', '--change', 'CMD ["sh"]', '-', 'busybox:latest'], { input: busyboxTar() });
    assert.equal(r.code, 0, r.stderr);
    const info = await inspect('busybox:latest');
    const diffId = sha256(busyboxTar());
    assert.deepEqual(info.RootFS.Layers, [diffId]);
    const manifest = manifestOf(info.Id);
    assert.deepEqual(manifest.layers.map((l) => [l.digest, l.size]), [[diffId, busyboxTar().length]], 'the layer is the uncompressed tar');
    assert.equal(blobs().includes(diffId), false, 'no blob for the layer');
    assert.equal(blobs().length, 2, 'the config and the manifest');
    assert.ok((await topLayerTar(info)).equals(busyboxTar()));
    const hi = await berth(d, ['run', '--rm', 'busybox', 'echo', 'hello from a split layer']);
    assert.equal(hi.stdout, 'hello from a split layer\n', hi.stderr);
  });

  it('commit stores no layer blob either; the base layer keeps its manifest size', async () => {
    const created = await berth(d, ['run', '--name', 'work', 'busybox', 'sh', '-c', 'echo data > /root/file; rm /etc/group; head -c 300000 /bin/busybox > /big']);
    assert.equal(created.code, 0, created.stderr);
    const c = await berth(d, ['commit', 'work', 'committed:v1']);
    assert.equal(c.code, 0, c.stderr);
    const info = await inspect('committed:v1');
    assert.equal(info.RootFS.Layers.length, 2);
    const top = info.RootFS.Layers[1];
    assert.equal(blobs().includes(top), false, 'no blob for the new layer');
    const tar = await topLayerTar(info);
    assert.equal(sha256(tar), top, 'the committed layer rebuilds with its diffID');
    const manifest = manifestOf(info.Id);
    assert.deepEqual(
      manifest.layers.map((l) => [l.digest, l.size]),
      [
        [sha256(busyboxTar()), busyboxTar().length],
        [top, tar.length],
      ],
    );
    const out = await berth(d, ['run', '--rm', 'committed:v1', 'sh', '-c', 'cat /root/file; wc -c < /big; ls /etc/group 2>&1 || true']);
    assert.equal(out.stdout, 'data\n300000\nls: /etc/group: No such file or directory\n', out.stderr);
  });

  it('commit of an unchanged container adds no layer, only a history entry, as Docker does', async () => {
    const snapshots = () => readdirSync(join(d.dataRoot, 'snapshots')).filter((n) => /^\d+$/.test(n)).length;
    assert.equal((await berth(d, ['create', '--name', 'untouched', 'busybox', 'true'])).code, 0);
    const before = snapshots();
    const c = await berth(d, ['commit', '-m', 'nothing', 'untouched', 'same:v1']);
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual((await inspect('same:v1')).RootFS.Layers, (await inspect('busybox')).RootFS.Layers);
    const history = await berth(d, ['history', '--format', '{{.Size}}|{{.Comment}}', 'same:v1']);
    assert.equal(history.stdout.split('\n')[0], '0B|nothing');
    assert.equal(snapshots(), before, 'the empty snapshot made for the diff is gone');
    assert.equal((await berth(d, ['run', '--rm', 'same:v1', 'echo', 'runs'])).stdout, 'runs\n');
    assert.equal((await berth(d, ['rm', 'untouched'])).code, 0);
    assert.equal((await berth(d, ['rmi', 'same:v1'])).code, 0);
  });

  it('rmi and prune remove the snapshots with their records', async () => {
    assert.equal((await berth(d, ['rm', 'work'])).code, 0);
    assert.equal((await berth(d, ['rmi', 'committed:v1', 'busybox:latest'])).code, 0);
    assert.equal((await berth(d, ['image', 'prune', '-af'])).code, 0);
    assert.deepEqual(readdirSync(join(d.dataRoot, 'snapshots')).filter((n) => !n.startsWith('.')), []);
    assert.deepEqual(blobs(), []);
  });
});
