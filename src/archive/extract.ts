/**
 * extractLayer: stream an uncompressed layer tar into a new directory, safely (safe-extract.ts),
 * verifying its diffID. By default the filesystem work runs in a worker thread while this
 * thread reads the source (decompressing on libuv's pool), hashes it for the diffID and hands it
 * over in 1 MiB batches with a bounded window: the halves run on both cores and the caller's
 * event loop stays responsive. On any failure the destination (and the tar-split record, when
 * asked for one) is removed: nothing partial stays.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { Digester } from '../core/digest.js';
import { exists } from '../core/fsutil.js';
import { BerthError, errnoCode, invalid, toBerthError } from '../core/errors.js';
import type { ExtractLimits, ExtractOptions, ExtractResult } from './contract.js';
import { ExtractSession, type SessionOptions } from './extract-session.js';
import { DEFAULT_LIMITS, type ExtractStats } from './safe-extract.js';
import { BackgroundSync } from './sync.js';
import { savedFileOf } from './tar-split.js';

const BATCH = 1 << 20;
/**
 * Batches in flight to the worker (32 MiB at most). A deep window lets this thread keep reading
 * the socket while the worker starts up (~40 ms of module loading) or waits on the disk, instead
 * of pausing the sender; 8 left the worker idle for about 0.2 s of a 205 MB import.
 */
const WINDOW = 32;

/** Messages between this thread and the worker. */
export type ToWorker = { chunk: Uint8Array } | { end: true } | { abort: true };
export type FromWorker =
  | { ack: ArrayBuffer } // the batch's memory, handed back for reuse
  | { done: ExtractStats }
  | { error: { kind: BerthError['kind']; code: string; message: string; hint?: string } };

export interface WorkerInit {
  dest: string;
  session: SessionOptions;
}

/** The process umask, read without changing it (process.umask() writes it twice). */
function currentUmask(): number {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return parseInt(m[1], 8);
  } catch {
    // not Linux: assume the usual
  }
  return 0o022;
}

/**
 * Extract `source` (uncompressed tar bytes) into `dest`, which must not exist yet (its parent
 * must). Resolves with the diffID and counts; rejects with a BerthError and removes `dest`.
 */
export async function extractLayer(source: AsyncIterable<Uint8Array>, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const session: SessionOptions = {
    limits: { ...DEFAULT_LIMITS, ...opts.limits } as ExtractLimits,
    umask: currentUmask(),
    sync: opts.sync ?? false,
    ...(opts.splitFile !== undefined ? { splitFile: opts.splitFile } : {}),
  };
  const alreadyThere = (path: string) => new BerthError('conflict', 'ERR_LAYER_DEST_EXISTS', `cannot extract into ${path}: it already exists`);
  const ours = opts.splitFile === undefined ? [dest] : [dest, opts.splitFile, savedFileOf(opts.splitFile)];
  for (const path of ours.slice(1)) if (await exists(path)) throw alreadyThere(path);
  try {
    await mkdir(dest, { mode: 0o755 });
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') throw alreadyThere(dest);
    throw toBerthError(e);
  }
  const digester = new Digester('sha256');
  try {
    const stats = await (opts.worker === false ? inline(source, dest, session, digester) : viaWorker(source, dest, session, digester));
    const diffId = digester.digest();
    if (opts.expectedDiffId !== undefined && diffId !== opts.expectedDiffId) {
      throw invalid('ERR_LAYER_DIFFID_MISMATCH', `layer content does not match its diffID: expected ${opts.expectedDiffId}, got ${diffId}`, {
        hint: 'the layer blob or the image config is corrupt',
      });
    }
    return { diffId, streamSize: digester.size, size: stats.size, entries: stats.entries, skippedXattrs: stats.skippedXattrs };
  } catch (e) {
    for (const path of ours) await rm(path, { recursive: true, force: true });
    throw toBerthError(e);
  }
}

async function inline(source: AsyncIterable<Uint8Array>, dest: string, opts: SessionOptions, digester: Digester): Promise<ExtractStats> {
  const s = new ExtractSession(dest, opts);
  try {
    for await (const chunk of source) {
      digester.update(chunk);
      s.push(chunk);
    }
    return s.end();
  } catch (e) {
    s.abort();
    throw e;
  }
}

/**
 * Copies incoming chunks into 1 MiB buffers that are transferred to the worker and come back
 * with its acknowledgement, so the same few buffers cycle (fresh memory is costly: page faults).
 */
class Batcher {
  private readonly free: ArrayBuffer[] = [];
  private buf = this.fresh();
  private used = 0;

  recycle(memory: ArrayBuffer): void {
    if (memory.byteLength === BATCH) this.free.push(memory);
  }

  private fresh(): Buffer {
    const memory = this.free.pop();
    return memory ? Buffer.from(memory) : Buffer.allocUnsafeSlow(BATCH);
  }

  *add(chunk: Uint8Array): Generator<Uint8Array> {
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(BATCH - this.used, chunk.length - off);
      this.buf.set(chunk.subarray(off, off + take), this.used);
      this.used += take;
      off += take;
      if (this.used === BATCH) yield this.take();
    }
  }

  flush(): Uint8Array | undefined {
    return this.used > 0 ? this.take() : undefined;
  }

  private take(): Uint8Array {
    const out = this.buf.subarray(0, this.used);
    this.buf = this.fresh();
    this.used = 0;
    return out;
  }
}

function viaWorker(source: AsyncIterable<Uint8Array>, dest: string, session: SessionOptions, digester: Digester): Promise<ExtractStats> {
  // With sync, the disk flushes what is written while the rest arrives, and the worker's final
  // syncfs, through the same descriptor (opened before any write), only waits for the tail.
  // Made first: if it cannot be made, nothing else has started.
  const flusher = session.sync ? new BackgroundSync(dest) : undefined;
  const init: WorkerInit = { dest, session: flusher ? { ...session, syncFd: flusher.fd } : session };
  let worker: Worker;
  try {
    // execArgv: [] because the caller's flags (--input-type, --eval, ...) may not be valid in a worker
    worker = new Worker(new URL('./extract-worker.js', import.meta.url), { workerData: init, execArgv: [] });
  } catch (e) {
    void flusher?.halt().catch(() => undefined).finally(() => flusher.close());
    throw e;
  }
  let inflight = 0;
  let failure: BerthError | undefined;
  let wake: (() => void) | undefined;
  let settle: { resolve: (r: ExtractStats) => void; reject: (e: unknown) => void } | undefined;
  let finished: ExtractStats | undefined;
  const batcher = new Batcher();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  const fail = (e: BerthError) => {
    failure ??= e;
    wake?.();
    settle?.reject(failure);
  };
  worker.on('message', (m: FromWorker) => {
    if ('ack' in m) {
      batcher.recycle(m.ack);
      inflight--;
      wake?.();
    } else if ('done' in m) {
      finished = m.done;
      settle?.resolve(m.done);
    } else {
      fail(new BerthError(m.error.kind, m.error.code, m.error.message, m.error.hint ? { hint: m.error.hint } : {}));
    }
  });
  worker.on('error', (e) => fail(toBerthError(e)));
  worker.on('exit', () => {
    if (finished === undefined) fail(new BerthError('internal', 'ERR_LAYER_WRITE', 'the extraction worker stopped unexpectedly'));
  });

  const send = async (chunk: Uint8Array) => {
    while (inflight >= WINDOW && failure === undefined) await new Promise<void>((r) => (wake = r));
    if (failure) throw failure;
    inflight++;
    worker.postMessage({ chunk } satisfies ToWorker, [chunk.buffer as ArrayBuffer]);
  };

  const run = async (): Promise<ExtractStats> => {
    let halted: Promise<void> | undefined;
    try {
      for await (const chunk of source) {
        if (failure) throw failure;
        digester.update(chunk);
        for (const batch of batcher.add(chunk)) await send(batch);
      }
      const last = batcher.flush();
      if (last) await send(last);
      if (failure) throw failure;
      halted = flusher?.halt();
      halted?.catch(() => undefined); // raised below, once the worker is done
      const done = new Promise<ExtractStats>((resolve, reject) => (settle = { resolve, reject }));
      worker.postMessage({ end: true } satisfies ToWorker);
      const stats = await done;
      await halted; // a flush that failed before the final syncfs fails the extraction
      return stats;
    } catch (e) {
      // stop the worker cleanly (it closes its file) before the caller removes dest
      worker.postMessage({ abort: true } satisfies ToWorker);
      throw e;
    } finally {
      await (halted ?? flusher?.halt())?.catch(() => undefined);
      await exited;
      flusher?.close(); // the worker's final syncfs used it
    }
  };
  return run();
}
