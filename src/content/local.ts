/**
 * The local content store: `<root>/blobs/<alg>/<hex>` for committed blobs and `<root>/ingest/`
 * for writes in progress. Several processes may share one root (two registry servers behind a
 * load balancer): every write goes to a private ingest file and is renamed into place only after
 * verification, and since the name is the content's digest, a concurrent writer of the same
 * digest renames identical bytes over it.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { Digester, parseDigest, type Digest, isDigestAlgorithm } from '../core/digest.js';
import { BerthError, errnoCode, invalid, notFound } from '../core/errors.js';
import { ensureDir, fsyncDir } from '../core/fsutil.js';
import type { BlobInfo, BlobWriter, ByteRange, ContentStore, WriterOptions } from './contract.js';

export class LocalContentStore implements ContentStore {
  readonly blobsDir: string;
  readonly ingestDir: string;

  private constructor(readonly root: string) {
    this.blobsDir = path.join(root, 'blobs');
    this.ingestDir = path.join(root, 'ingest');
  }

  static async open(root: string): Promise<LocalContentStore> {
    const store = new LocalContentStore(root);
    await ensureDir(path.join(store.blobsDir, 'sha256'));
    await ensureDir(path.join(store.blobsDir, 'sha512'));
    await ensureDir(store.ingestDir, 0o700);
    return store;
  }

  path(digest: Digest): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.blobsDir, algorithm, hex);
  }

  async info(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const st = await fsp.stat(this.path(digest));
      return { digest, size: st.size };
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  async has(digest: Digest): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  async read(digest: Digest): Promise<Buffer> {
    try {
      return await fsp.readFile(this.path(digest));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw blobUnknown(digest);
      throw e;
    }
  }

  async stream(digest: Digest, range?: ByteRange): Promise<Readable> {
    // Open first so a missing blob is an error here, not an 'error' event later.
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.path(digest), 'r');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw blobUnknown(digest);
      throw e;
    }
    return fh.createReadStream(range ? { start: range.start, end: range.end, highWaterMark: 1 << 20 } : { highWaterMark: 1 << 20 });
  }

  async writer(opts: WriterOptions = {}): Promise<BlobWriter> {
    const algorithm = opts.expected ? parseDigest(opts.expected).algorithm : (opts.algorithm ?? 'sha256');
    if (!isDigestAlgorithm(algorithm)) throw invalid('ERR_DIGEST_ALGORITHM', `unsupported digest algorithm: ${algorithm}`);
    const tmp = path.join(this.ingestDir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
    const fh = await fsp.open(tmp, 'wx', 0o644);
    return new LocalBlobWriter(this, fh, tmp, new Digester(algorithm), opts);
  }

  async put(data: Uint8Array, expected?: Digest): Promise<BlobInfo> {
    const w = await this.writer(expected ? { expected } : {});
    try {
      await w.write(data);
    } catch (e) {
      await w.abort();
      throw e;
    }
    return w.commit();
  }

  async ingest(source: AsyncIterable<Uint8Array>, opts: WriterOptions = {}): Promise<BlobInfo> {
    const w = await this.writer(opts);
    try {
      for await (const chunk of source) await w.write(chunk);
    } catch (e) {
      await w.abort();
      throw e;
    }
    return w.commit();
  }

  async delete(digest: Digest): Promise<boolean> {
    try {
      await fsp.unlink(this.path(digest));
      return true;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return false;
      throw e;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    for (const algorithm of ['sha256', 'sha512'] as const) {
      const dir = path.join(this.blobsDir, algorithm);
      let names: string[];
      try {
        names = await fsp.readdir(dir);
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') continue;
        throw e;
      }
      for (const hex of names) {
        const digest = `${algorithm}:${hex}` as Digest;
        const info = await this.info(digest).catch(() => undefined);
        if (info) yield info;
      }
    }
  }

  /** Remove ingest files not touched for `olderThanMs` (left by killed or abandoned writers). */
  async cleanIngest(olderThanMs: number): Promise<number> {
    const names = await fsp.readdir(this.ingestDir).catch(() => [] as string[]);
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names) {
      const p = path.join(this.ingestDir, name);
      const st = await fsp.stat(p).catch(() => undefined);
      if (st && st.mtimeMs < cutoff) {
        await fsp.rm(p, { force: true, recursive: true });
        removed++;
      }
    }
    return removed;
  }

  /**
   * Take over a file whose content the caller has already hashed to `digest` (the registry's upload
   * sessions live outside ingest/): fsync it and rename it into place, or remove it when the blob is
   * there already. The file must be on the store's filesystem.
   */
  async adopt(file: string, digest: Digest): Promise<BlobInfo> {
    const existing = await this.info(digest);
    if (existing) {
      await fsp.rm(file, { force: true });
      return existing;
    }
    const fh = await fsp.open(file, 'r');
    let size: number;
    try {
      await fh.sync();
      size = (await fh.stat()).size;
    } finally {
      await fh.close();
    }
    await this.place(file, digest);
    return { digest, size };
  }

  /** @internal Move a verified ingest file into place. */
  async place(tmp: string, digest: Digest): Promise<void> {
    const target = this.path(digest);
    await fsp.rename(tmp, target);
    await fsyncDir(path.dirname(target));
  }
}

class LocalBlobWriter implements BlobWriter {
  private done = false;
  private written = 0;

  constructor(
    private readonly store: LocalContentStore,
    private readonly fh: fsp.FileHandle,
    private readonly tmp: string,
    private readonly digester: Digester,
    private readonly opts: WriterOptions,
  ) {}

  get size(): number {
    return this.written;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new Error('write after commit or abort');
    this.digester.update(chunk);
    this.written += chunk.length;
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off);
      off += bytesWritten;
    }
  }

  async commit(): Promise<BlobInfo> {
    if (this.done) throw new Error('commit after commit or abort');
    this.done = true;
    const size = this.written;
    try {
      const digest = this.digester.digest();
      if (this.opts.expectedSize !== undefined && size !== this.opts.expectedSize) {
        throw invalid('ERR_SIZE_MISMATCH', `size mismatch: expected ${this.opts.expectedSize} bytes, got ${size}`);
      }
      if (this.opts.expected !== undefined && digest !== this.opts.expected) {
        throw invalid('ERR_DIGEST_MISMATCH', `digest mismatch: expected ${this.opts.expected}, got ${digest}`);
      }
      if (await this.store.has(digest)) {
        // Someone committed the same content first; ours is redundant.
        await this.fh.close();
        await fsp.rm(this.tmp, { force: true });
        return { digest, size };
      }
      await this.fh.sync();
      await this.fh.close();
      await this.store.place(this.tmp, digest);
      return { digest, size };
    } catch (e) {
      await this.fh.close().catch(() => {});
      await fsp.rm(this.tmp, { force: true });
      throw e;
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.fh.close().catch(() => {});
    await fsp.rm(this.tmp, { force: true });
  }
}

function blobUnknown(digest: Digest): BerthError {
  return notFound('ERR_BLOB_UNKNOWN', `blob unknown: ${digest}`);
}
