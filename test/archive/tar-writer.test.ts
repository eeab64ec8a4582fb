/** tarDirectory on a tree that changes while it is read (a running container's export). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { tarDirectory } from '../../src/archive/diff.js';
import { extractLayer } from '../../src/archive/extract.js';
import { tempDir } from '../helpers/tmp.js';
import { streamOf } from './tar-build.js';

describe('tar writer', () => {
  it('keeps the archive valid when a file shrinks while it is read', async (t) => {
    const tmp = await tempDir(t);
    await mkdir(`${tmp}/src`);
    await writeFile(`${tmp}/src/big`, Buffer.alloc(1 << 20, 7));
    await writeFile(`${tmp}/src/small`, 'after');
    const chunks: Buffer[] = [];
    for await (const chunk of tarDirectory(`${tmp}/src`)) {
      if (chunks.length === 0) await truncate(`${tmp}/src/big`, 0); // after the first piece was read
      chunks.push(chunk as Buffer);
    }
    const archive = Buffer.concat(chunks);
    await writeFile(`${tmp}/out.tar`, archive);
    const listing = execFileSync('tar', ['-tvf', `${tmp}/out.tar`], { encoding: 'utf8' });
    assert.match(listing, / 1048576 .* big\n/);
    assert.match(listing, / small\n/);
    await extractLayer(streamOf(archive, 65536), `${tmp}/back`);
    const big = readFileSync(`${tmp}/back/big`);
    assert.equal(big.length, 1 << 20, 'the size in the header is kept');
    assert.ok(big[0] === 7 && big[big.length - 1] === 0, 'data read before the truncation, zeros after');
    assert.equal(readFileSync(`${tmp}/back/small`, 'utf8'), 'after', 'the entries after it are intact');
  });
});
