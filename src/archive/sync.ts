/**
 * Durability of an extracted layer in one call: syncfs(2) on the filesystem holding it instead of
 * an fsync per file.
 *
 * The descriptor handed to syncfs must be opened BEFORE the first write: syncfs reports a
 * writeback error only to descriptors opened before the error happened (Linux's errseq), so one
 * opened at the end would miss an error the kernel hit while flushing earlier files.
 */
import { closeSync, openSync } from 'node:fs';
import { internal } from '../core/errors.js';
import { Mutex } from '../core/mutex.js';
import { syncfsAsync } from '../sys/libc.js';

/** A descriptor on the filesystem of `dir`, for syncfs; open it before writing. */
export function openSyncHandle(dir: string): number {
  return openSync(dir, 'r');
}

/**
 * One background syncfs at a time in the whole process: each occupies a thread of libuv's small
 * pool (4) for as long as the disk takes, and syncfs flushes the whole filesystem anyway, so
 * concurrent imports share the flushing instead of starving every other fs call of the daemon.
 */
const flushing = new Mutex();

/**
 * Writeback while a layer is still being written: syncfs(2) over and over on libuv's thread pool,
 * so the disk flushes the files already extracted while later ones are created. The final
 * syncfs (by the extraction, on `fd`) still makes the layer durable; it just finds little left to
 * do. Without this the kernel starts writeback only when dirty pages reach its background
 * threshold (10% of RAM), so the whole layer was flushed after the fact.
 *
 * A failure seen here is kept and reported by halt(): the kernel reports a writeback error to
 * each descriptor once, so the final syncfs on the same descriptor would not see it again.
 */
export class BackgroundSync {
  /** Open before the first write (see the module comment); shared with the final syncfs. */
  readonly fd: number;
  private stopped = false;
  private failed = false;
  private readonly loop: Promise<void>;
  private halting?: Promise<void>;
  private closed = false;

  /** `dir`: the (still empty) directory the layer is written to. */
  constructor(
    dir: string,
    private readonly pauseMs = 20,
  ) {
    this.fd = openSyncHandle(dir);
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await flushing
        .run(() => (this.stopped ? undefined : syncfsAsync(this.fd)))
        .catch(() => {
          this.failed = true;
        });
      if (!this.stopped) await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  /** Stop after the flush in progress (if any); rejects if any flush failed. Idempotent. */
  halt(): Promise<void> {
    this.stopped = true;
    this.halting ??= this.loop.then(() => {
      if (this.failed) throw internal('ERR_LAYER_SYNC', 'cannot make the layer durable: the filesystem reported a write error while flushing it', { hint: 'check the disk (dmesg) and free space, then import again' });
    });
    return this.halting;
  }

  /** Release the descriptor, once nothing syncs through it any more. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
