/**
 * A berthd killed (SIGKILL) in the middle of an import, while the archive is still arriving and
 * the extraction has begun writing files: after a restart on the same data-root there is no
 * partial image, snapshot, blob or ingest file, and the same archive then imports whole.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as http from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { berth, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxTar } from '../helpers/images.js';

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
}

/** Files the extraction has written so far, over every snapshot directory. */
function extractedEntries(d: TestDaemon): number {
  const root = join(d.dataRoot, 'snapshots');
  return entries(root).reduce((n, id) => n + entries(join(root, id, 'fs')).length, 0);
}

describe('an import interrupted by a killed daemon', () => {
  it('leaves nothing behind after a restart, and the next import works', async (t) => {
    const first = await startDaemon(t, { keepDir: true });
    const tar = busyboxTar();
    const req = http.request({
      socketPath: first.socket,
      method: 'POST',
      path: '/v1.41/images/create?fromSrc=-&repo=crash&tag=v1',
      headers: { 'Content-Type': 'application/x-tar' },
    });
    req.on('error', () => undefined); // the daemon dies under it
    req.write(tar.subarray(0, Math.floor(tar.length / 2)));
    // Bounded wait (10 s) for the worker to have written files, the rest of the archive unsent.
    for (let i = 0; i < 500 && extractedEntries(first) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(extractedEntries(first) > 0, 'the extraction had started');
    await first.kill();
    req.destroy();

    const again = await startDaemon(t, { dir: first.dir });
    t.after(() => rm(first.dir, { recursive: true, force: true })); // after both daemons stopped
    assert.equal((await berth(again, ['images', '-qa'])).stdout, '');
    assert.deepEqual(entries(join(again.dataRoot, 'snapshots')), [], 'no snapshot, partial or recorded');
    assert.deepEqual(entries(join(again.dataRoot, 'content', 'blobs', 'sha256')), []);
    assert.deepEqual(entries(join(again.dataRoot, 'content', 'ingest')), []);

    const r = await berth(again, ['import', '-', 'crash:v1'], { input: tar });
    assert.equal(r.code, 0, r.stderr);
    const layers = await berth(again, ['image', 'inspect', '--format', '{{len .RootFS.Layers}}', 'crash:v1']);
    assert.equal(layers.stdout, '1\n');
    assert.equal(entries(join(again.dataRoot, 'snapshots')).length, 1);
  });
});
