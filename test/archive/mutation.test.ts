/**
 * Mutated archives: hundreds of byte flips, overwritten fields and cuts of a valid layer. Each
 * must either extract or fail with a precise ERR_LAYER_* error (never an internal one), leave
 * nothing when it fails, and never touch the sentinel beside the destination.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { extractLayer } from '../../src/archive/extract.js';
import { BLOCK } from '../../src/archive/tar-header.js';
import { BerthError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { rng, seedLayer, streamOf, tarOf, treeOf } from './tar-build.js';

const EXPECTED_CODES = new Set([
  'ERR_LAYER_CORRUPT',
  'ERR_LAYER_TRUNCATED',
  'ERR_LAYER_PATH_ESCAPE',
  'ERR_LAYER_BAD_NAME',
  'ERR_LAYER_BAD_ENTRY',
  'ERR_LAYER_BAD_HARDLINK',
  'ERR_LAYER_BAD_WHITEOUT',
  'ERR_LAYER_NOT_A_DIRECTORY',
  'ERR_LAYER_SYMLINK_LOOP',
  'ERR_LAYER_UNSUPPORTED_ENTRY',
  'ERR_LAYER_LIMIT',
]);

describe('safe extraction: mutated archives', () => {
  it('extracts or refuses precisely, never escapes, never leaves a partial tree', async (t) => {
    const tmp = await tempDir(t);
    await mkdir(`${tmp}/victim`);
    await writeFile(`${tmp}/victim/file`, 'original');
    const before = treeOf(`${tmp}/victim`);
    const original = tarOf(seedLayer);
    const random = rng(0x9e3779b9);
    const outcomes = { ok: 0, refused: 0 };
    const codes = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(original);
      const kind = i % 3;
      if (kind === 0) {
        // flip a few bytes of the headers (where the meaning is)
        for (let n = 0; n < 1 + Math.floor(random() * 3); n++) {
          const block = Math.floor(random() * (bytes.length / BLOCK));
          bytes[block * BLOCK + Math.floor(random() * 345)] ^= 1 << Math.floor(random() * 8);
        }
      } else if (kind === 1) {
        // overwrite a name or link field with a hostile one, checksum fixed up
        const block = Math.floor(random() * (bytes.length / BLOCK)) * BLOCK;
        const hostile = ['../x', '/abs', '..', 'a/../../b', 'lib/../../etc', '.wh...', 'x\0y'][Math.floor(random() * 7)];
        const field = random() < 0.5 ? 0 : 157;
        bytes.fill(0, block + field, block + field + 100);
        bytes.write(hostile, block + field, 'latin1');
        bytes.fill(0x20, block + 148, block + 156);
        let sum = 0;
        for (let k = block; k < block + BLOCK; k++) sum += bytes[k];
        bytes.write(sum.toString(8).padStart(6, '0') + '\0 ', block + 148, 'latin1');
      }
      const input = kind === 2 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      const dest = `${tmp}/out/${i}`;
      await mkdir(`${tmp}/out`, { recursive: true });
      try {
        await extractLayer(streamOf(input, 300), dest, { worker: false });
        outcomes.ok++;
      } catch (e) {
        assert.ok(e instanceof BerthError, `mutation ${i}: not a BerthError: ${String(e)}`);
        assert.ok(EXPECTED_CODES.has(e.code), `mutation ${i}: unexpected ${e.code}: ${e.message}`);
        assert.equal(existsSync(dest), false, `mutation ${i}: partial tree left`);
        codes.add(e.code);
        outcomes.refused++;
      }
    }
    assert.deepEqual(treeOf(`${tmp}/victim`), before);
    assert.ok(outcomes.ok > 20 && outcomes.refused > 100, JSON.stringify(outcomes));
    for (const c of ['ERR_LAYER_CORRUPT', 'ERR_LAYER_TRUNCATED', 'ERR_LAYER_PATH_ESCAPE']) assert.ok(codes.has(c), `${c} among ${[...codes].join(',')}`);
  });
});
