/** Compression sniffing and decompression with the real tools producing the inputs. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { openDecompressed, sniffCompression } from '../../src/archive/compression.js';
import { extractLayer } from '../../src/archive/extract.js';
import { tap } from '../../src/archive/tap.js';
import { BerthError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { sha256, streamOf, tarOf } from './tar-build.js';

const plain = tarOf([
  { name: 'etc/', type: '5' },
  { name: 'etc/motd', data: 'welcome\n'.repeat(2000) },
  { name: 'bin/sh', type: '2', linkname: '/bin/busybox' },
]);

function compressWith(tool: string): Buffer {
  return execFileSync(tool, ['-c'], { input: plain, maxBuffer: 1 << 26 });
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

describe('layer compression', () => {
  it('sniffs every format by its magic bytes', () => {
    assert.equal(sniffCompression(gzipSync(plain)), 'gzip');
    assert.equal(sniffCompression(compressWith('zstd')), 'zstd');
    assert.equal(sniffCompression(compressWith('bzip2')), 'bzip2');
    assert.equal(sniffCompression(compressWith('xz')), 'xz');
    assert.equal(sniffCompression(plain), 'none');
    assert.equal(sniffCompression(Buffer.from([0x1f])), 'none', 'too short to be anything');
  });

  for (const tool of ['gzip', 'zstd', 'bzip2', 'xz']) {
    it(`decompresses ${tool} to the exact tar bytes and extracts it`, async (t) => {
      const { compression, stream } = await openDecompressed(streamOf(compressWith(tool), 1000));
      assert.equal(compression, tool);
      const dest = `${await tempDir(t)}/L`;
      const r = await extractLayer(stream, dest);
      assert.equal(r.diffId, sha256(plain));
      assert.equal(readFileSync(`${dest}/etc/motd`, 'utf8'), 'welcome\n'.repeat(2000));
    });
  }

  it('decompresses zstd with the built-in decoder when the zstd program is missing', () => {
    const url = new URL('../../src/archive/compression.js', import.meta.url).href;
    const script = `
      import { openDecompressed, onPath } from ${JSON.stringify(url)};
      import { createHash } from 'node:crypto';
      if (onPath('zstd')) throw new Error('zstd should not be found');
      const { compression, stream } = await openDecompressed(process.stdin);
      const h = createHash('sha256');
      for await (const c of stream) h.update(c);
      process.stdout.write(compression + ' sha256:' + h.digest('hex'));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { input: compressWith('zstd'), env: { PATH: '/nonexistent' } });
    assert.equal(out.toString(), `zstd ${sha256(plain)}`);
  });

  it('passes an uncompressed tar through untouched, even a tiny one', async () => {
    const { compression, stream } = await openDecompressed(streamOf(plain, 3));
    assert.equal(compression, 'none');
    assert.deepEqual(await collect(stream), plain);
    const empty = await openDecompressed(streamOf(Buffer.alloc(0)));
    assert.deepEqual(await collect(empty.stream), Buffer.alloc(0));
  });

  for (const tool of ['gzip', 'zstd', 'xz']) {
    it(`reports a truncated or corrupt ${tool} stream as ERR_COMPRESSION_CORRUPT`, async () => {
      const packed = compressWith(tool);
      const truncated = packed.subarray(0, Math.floor(packed.length / 2));
      const corrupt = Buffer.from(packed);
      for (let i = 20; i < corrupt.length - 8; i += 7) corrupt[i] ^= 0x5a;
      for (const bad of [truncated, corrupt]) {
        const { stream } = await openDecompressed(streamOf(bad, 500));
        await assert.rejects(collect(stream), (e: unknown) => e instanceof BerthError && e.code === 'ERR_COMPRESSION_CORRUPT');
      }
    });
  }

  it('passes an error of the source itself through unchanged', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield gzipSync(plain).subarray(0, 100);
      throw new BerthError('invalid', 'ERR_UPSTREAM', 'client went away');
    }
    const { stream } = await openDecompressed(failing());
    await assert.rejects(collect(stream), (e: unknown) => e instanceof BerthError && e.code === 'ERR_UPSTREAM');
  });
});

describe('tap', () => {
  it('hands every compressed byte to the side consumer while the tar is extracted', async (t) => {
    const packed = gzipSync(plain);
    const seen: Buffer[] = [];
    const { stream } = await openDecompressed(tap(streamOf(packed, 999), (c) => void seen.push(Buffer.from(c))));
    const r = await extractLayer(stream, `${await tempDir(t)}/L`);
    assert.equal(r.diffId, sha256(plain));
    assert.deepEqual(Buffer.concat(seen), packed);
  });
});
