/**
 * Blob upload sessions, kept on disk so that they survive a restart and work through any of
 * several `serve` processes sharing the root:
 *
 *   <root>/uploads/<uuid>/info.json   {"repository","startedAt","algorithm"} (written once, atomically)
 *   <root>/uploads/<uuid>/data        the bytes received so far: its size is the session's offset
 *
 * Writes to a session hold an flock on its data file, so chunks are applied one at a time and in
 * order even across processes. The running hash lives in memory only as a shortcut: whatever it
 * has not seen (bytes appended by another process, or everything after a restart) is read back
 * from the data file when the upload completes.
 */
import { randomUUID } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Digester, parseDigest, type Digest, type DigestAlgorithm } from '../core/digest.js';
import { errnoCode } from '../core/errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../core/fsutil.js';
import type { BlobInfo } from '../content/contract.js';
import type { LocalContentStore } from '../content/local.js';
import { FileAppender } from './appender.js';
import { regError } from './errors.js';
import { withFileLock } from './filelock.js';

export interface UploadSession {
  id: string;
  repository: string;
  startedAt: number;
  algorithm: DigestAlgorithm;
}

/** An inclusive byte range from a Content-Range request header. */
export interface ChunkRange {
  start: number;
  end: number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOCK_TIMEOUT_MS = 10_000;
const MAX_CACHED_HASHES = 1000;

interface HashState {
  digester: Digester;
  offset: number;
}

/** The `Range` header value for a session of `size` bytes (distribution's `0-0` when empty). */
export function rangeHeader(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}

export class UploadStore {
  private readonly hashes = new Map<string, HashState>();

  constructor(
    readonly dir: string,
    private readonly content: LocalContentStore,
  ) {}

  private sessionDir(id: string): string {
    return path.join(this.dir, id);
  }

  private dataPath(id: string): string {
    return path.join(this.dir, id, 'data');
  }

  async create(repository: string, algorithm: DigestAlgorithm): Promise<UploadSession> {
    const session: UploadSession = { id: randomUUID(), repository, startedAt: Date.now(), algorithm };
    await fsp.mkdir(this.sessionDir(session.id), { mode: 0o700 });
    await (await fsp.open(this.dataPath(session.id), 'wx', 0o600)).close();
    await writeJsonAtomic(path.join(this.sessionDir(session.id), 'info.json'), session);
    return session;
  }

  /** The session and its current size; BLOB_UPLOAD_UNKNOWN when it does not exist in `repository`. */
  async get(repository: string, id: string): Promise<{ session: UploadSession; size: number }> {
    const unknown = () => regError('BLOB_UPLOAD_UNKNOWN', undefined, { detail: { uuid: id } });
    if (!UUID_RE.test(id)) throw unknown();
    const session = await readJsonIfExists<UploadSession>(path.join(this.sessionDir(id), 'info.json')).catch(() => undefined);
    if (!session || session.repository !== repository) throw unknown();
    try {
      return { session, size: (await fsp.stat(this.dataPath(id))).size };
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw unknown();
      throw e;
    }
  }

  /** Run fn with the session's data file open and locked against every other writer. */
  private async locked<T>(repository: string, id: string, fn: (fh: fsp.FileHandle, session: UploadSession) => Promise<T>): Promise<T> {
    const { session } = await this.get(repository, id);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.dataPath(id), 'r+');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw regError('BLOB_UPLOAD_UNKNOWN', undefined, { detail: { uuid: id } });
      throw e;
    }
    try {
      const r = await withFileLock(id, fh, LOCK_TIMEOUT_MS, async () => {
        // The session may have completed or been cancelled while we waited for the lock.
        if ((await fh.stat()).nlink === 0) throw regError('BLOB_UPLOAD_UNKNOWN', undefined, { detail: { uuid: id } });
        return fn(fh, session);
      });
      if (!r.ok) throw regError('BLOB_UPLOAD_INVALID', 'the upload is busy with another request', { detail: { uuid: id } });
      return r.value;
    } finally {
      await fh.close();
    }
  }

  /**
   * Append a chunk. With a range its start must be the session's size (416 otherwise, and for a
   * chunk already written); without one the body is streamed at the end. A failed or short chunk
   * is rolled back, so the session stays at its last good size. Returns the new size.
   */
  async append(repository: string, id: string, body: Readable, range?: ChunkRange): Promise<number> {
    return this.locked(repository, id, (fh, session) => this.appendLocked(fh, session, body, range));
  }

  private async appendLocked(fh: fsp.FileHandle, session: UploadSession, body: Readable, range?: ChunkRange): Promise<number> {
    const size = (await fh.stat()).size;
    if (range && range.start !== size) {
      throw regError('RANGE_INVALID', `chunk starts at ${range.start} but the upload has ${size} bytes`, {
        status: 416,
        detail: { size },
        headers: { Range: rangeHeader(size), Location: uploadLocation(session), 'Docker-Upload-UUID': session.id },
      });
    }
    let cached = this.hashes.get(session.id);
    if (!cached && size === 0) {
      cached = { digester: new Digester(session.algorithm), offset: 0 };
      this.remember(session.id, cached);
    }
    // Hash while writing only when the cached hash has seen every byte before this chunk.
    const hashing = cached && cached.offset === size ? cached : undefined;
    const appender = new FileAppender(fh.fd, size, hashing?.digester);
    try {
      await pump(body, appender);
      if (range && appender.written !== range.end - range.start + 1) {
        throw regError('SIZE_INVALID', `Content-Range announces ${range.end - range.start + 1} bytes but the body had ${appender.written}`);
      }
    } catch (e) {
      if (hashing) this.hashes.delete(session.id);
      await fh.truncate(size).catch(() => {});
      throw e;
    }
    if (hashing) hashing.offset += appender.written;
    return size + appender.written;
  }

  private remember(id: string, state: HashState): void {
    if (this.hashes.size >= MAX_CACHED_HASHES) {
      const oldest = this.hashes.keys().next().value;
      if (oldest !== undefined) this.hashes.delete(oldest);
    }
    this.hashes.set(id, state);
  }

  /**
   * Complete the upload: append the optional final chunk, check the digest over the whole blob
   * (with the digest's algorithm), and move the bytes into the content store. A mismatch drops
   * the session (DIGEST_INVALID).
   */
  async finish(repository: string, id: string, digest: Digest, body?: Readable, range?: ChunkRange): Promise<BlobInfo> {
    return this.locked(repository, id, async (fh, session) => {
      const size = body ? await this.appendLocked(fh, session, body, range) : (await fh.stat()).size;
      const actual = await this.digestOf(fh, session, parseDigest(digest).algorithm, size);
      if (actual !== digest) {
        await this.remove(id);
        throw regError('DIGEST_INVALID', undefined, { detail: { Digest: digest, Reason: `content has digest ${actual}` } });
      }
      const info = await this.content.adopt(this.dataPath(id), digest);
      await this.remove(id);
      return info;
    });
  }

  /** The digest of the session's bytes, from the cached hash where it is valid, reading the rest. */
  private async digestOf(fh: fsp.FileHandle, session: UploadSession, algorithm: DigestAlgorithm, size: number): Promise<Digest> {
    const cached = this.hashes.get(session.id);
    const state = cached && cached.digester.algorithm === algorithm && cached.offset <= size ? cached : { digester: new Digester(algorithm), offset: 0 };
    // A hash can be finalised once: forget it, whatever the outcome.
    this.hashes.delete(session.id);
    if (state.offset < size) {
      const stream = fh.createReadStream({ start: state.offset, end: size - 1, highWaterMark: 1 << 20, autoClose: false });
      for await (const chunk of stream) state.digester.update(chunk as Buffer);
    }
    return state.digester.digest();
  }

  async cancel(repository: string, id: string): Promise<void> {
    await this.locked(repository, id, () => this.remove(id));
  }

  private async remove(id: string): Promise<void> {
    this.hashes.delete(id);
    await fsp.rm(this.sessionDir(id), { recursive: true, force: true });
  }

  /**
   * Remove sessions idle for longer than `olderThanMs` (abandoned by their client). A session a
   * writer holds right now is skipped. Returns the ids removed (or that would be, with dryRun).
   */
  async purge(olderThanMs: number, dryRun: boolean): Promise<string[]> {
    const cutoff = Date.now() - olderThanMs;
    const removed: string[] = [];
    for (const id of await fsp.readdir(this.dir).catch(() => [] as string[])) {
      const dir = this.sessionDir(id);
      const times = await Promise.all(['', 'info.json', 'data'].map((f) => fsp.stat(path.join(dir, f)).then((s) => s.mtimeMs, () => 0)));
      if (Math.max(...times) >= cutoff) continue;
      if (dryRun) {
        removed.push(id);
        continue;
      }
      const fh = await fsp.open(this.dataPath(id), 'r').catch(() => undefined);
      if (!fh) {
        // No data file: a session that completed (or was being created) when its process died.
        await this.remove(id);
        removed.push(id);
        continue;
      }
      try {
        const r = await withFileLock(id, fh, 0, () => this.remove(id));
        if (r.ok) removed.push(id);
      } finally {
        await fh.close();
      }
    }
    return removed;
  }
}

/**
 * Pipe a request body into a sink. Unlike pipeline(), a failing sink (a full disk) does not destroy
 * the request, so the server can still answer it; a body that ends early (the client went away)
 * is an error.
 */
function pump(source: Readable, sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      source.unpipe(sink);
      sink.destroy();
      reject(e);
    };
    sink.once('error', fail);
    source.once('error', fail);
    source.once('close', () => {
      if (!source.readableEnded) fail(new Error('aborted: the client went away before the end of the body'));
    });
    sink.once('finish', () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    source.pipe(sink);
  });
}

export function uploadLocation(session: UploadSession): string {
  return `/v2/${session.repository}/blobs/uploads/${session.id}`;
}
