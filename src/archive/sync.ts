/** Durability in one call: syncfs(2) on the filesystem holding `path` instead of an fsync per file. */
import { closeSync, openSync } from 'node:fs';
import { syncfs, syncfsAsync } from '../sys/libc.js';

export function syncFilesystemOf(path: string): void {
  const fd = openSync(path, 'r');
  try {
    syncfs(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writeback while a layer is still being written: syncfs(2) over and over on libuv's thread pool,
 * so the disk flushes the files already extracted while later ones are created. The final
 * syncfs (syncFilesystemOf, after the last entry) still makes the layer durable; it just finds
 * little left to do, instead of the whole layer's data flushed after the fact. Without this the
 * kernel starts writeback only when dirty pages reach its background threshold (10% of RAM).
 */
export class BackgroundSync {
  private stopped = false;
  private readonly fd: number;
  private readonly loop: Promise<void>;

  /** `path`: any directory on the filesystem being written. */
  constructor(
    path: string,
    private readonly pauseMs = 20,
  ) {
    this.fd = openSync(path, 'r');
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      // A failure here only loses the head start: the final, synchronous syncfs reports errors.
      await syncfsAsync(this.fd).catch(() => undefined);
      if (!this.stopped) await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  private stopping?: Promise<void>;

  /** Stop after the flush in progress (if any); later calls return the same promise. */
  stop(): Promise<void> {
    this.stopped = true;
    this.stopping ??= this.loop.then(() => closeSync(this.fd));
    return this.stopping;
  }
}
