/**
 * BackgroundSync: the writeback loop that runs while a layer is extracted. Its effect (less left
 * for the final syncfs) is measured by the import benchmark; here, that it runs, stops promptly
 * and leaves no descriptor behind, and that a durable extraction through the worker uses it.
 */
import assert from 'node:assert/strict';
import { closeSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { extractLayer } from '../../src/archive/extract.js';
import { BackgroundSync } from '../../src/archive/sync.js';
import { BerthError } from '../../src/core/errors.js';
import { busyboxTar } from '../helpers/images.js';

const openFds = () => readdirSync('/proc/self/fd').length;

describe('background sync', () => {
  it('flushes until stopped, then closes its descriptor', async () => {
    const dir = await mkdtemp('/var/tmp/bt-sync-');
    try {
      const before = openFds();
      const bg = new BackgroundSync(dir, 5);
      await new Promise((r) => setTimeout(r, 50));
      await bg.halt();
      await bg.halt(); // idempotent
      bg.close();
      bg.close();
      assert.equal(openFds(), before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a flush that failed, which the final syncfs would no longer see', async () => {
    const dir = await mkdtemp('/var/tmp/bt-sync-');
    try {
      const bg = new BackgroundSync(dir, 5);
      // A descriptor that stops working makes the next flush fail (EBADF), as a disk error would.
      closeSync(bg.fd);
      await new Promise((r) => setTimeout(r, 50));
      await assert.rejects(bg.halt(), (e: unknown) => e instanceof BerthError && e.code === 'ERR_LAYER_SYNC' && /write error/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs alongside a durable extraction in the worker', async () => {
    const dir = await mkdtemp('/var/tmp/bt-sync-');
    try {
      const before = openFds();
      const r = await extractLayer(Readable.from([busyboxTar()]), `${dir}/fs`, { sync: true });
      assert.ok(r.entries > 5, `only ${r.entries} entries`);
      assert.deepEqual(readdirSync(`${dir}/fs/bin`).includes('busybox'), true);
      assert.equal(openFds(), before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
