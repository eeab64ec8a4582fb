/**
 * One extraction, driven chunk by chunk on whichever thread runs it: parses, writes, and turns
 * filesystem failures into BerthErrors that name the entry. Hashing is the caller's (it runs on
 * the other thread, in parallel). With `splitFile`, the tar-split record of the stream is written
 * on the way (tar-split.ts). The caller removes the destination (and the record) when it throws.
 */
import { closeSync } from 'node:fs';
import { BerthError, errnoCode, internal, invalid, toBerthError } from '../core/errors.js';
import type { ExtractLimits } from './contract.js';
import { LayerExtractor, type ExtractStats } from './safe-extract.js';
import { syncfs } from '../sys/libc.js';
import { openSyncHandle } from './sync.js';
import { TarReader } from './tar-reader.js';
import { TarSplitWriter } from './tar-split.js';

export interface SessionOptions {
  limits: ExtractLimits;
  umask: number;
  /** syncfs after the last entry (see ExtractOptions.sync). */
  sync: boolean;
  /**
   * The descriptor to syncfs through, opened by the caller before the first write (sync.ts
   * explains why it must be); without it the session opens its own when it starts.
   */
  syncFd?: number;
  /** Write the stream's tar-split record here (see ExtractOptions.splitFile). */
  splitFile?: string;
}

export class ExtractSession {
  private readonly extractor: LayerExtractor;
  private readonly reader: TarReader;
  private readonly split: TarSplitWriter | undefined;
  /** The descriptor this session opened for syncfs (closed at the end), if the caller gave none. */
  private ownSyncFd: number | undefined;

  /** `dest` is the fresh, empty directory extractLayer has just created. */
  constructor(
    private readonly dest: string,
    private readonly opts: SessionOptions,
  ) {
    if (opts.sync && opts.syncFd === undefined) this.ownSyncFd = openSyncHandle(dest);
    const split = opts.splitFile === undefined ? undefined : new TarSplitWriter(opts.splitFile, dest);
    this.split = split;
    this.extractor = new LayerExtractor(dest, opts.limits, opts.umask, split);
    this.reader = new TarReader(this.extractor, { maxMetaSize: opts.limits.maxMetaSize, ...(split ? { raw: (b: Uint8Array) => split.raw(b) } : {}) });
  }

  push(chunk: Uint8Array): void {
    this.guard(() => this.reader.push(chunk));
  }

  /** The stream is complete: check its ending, set directory times, sync when asked. */
  end(): ExtractStats {
    this.guard(() => this.reader.end());
    const stats = this.guard(() => this.extractor.finish());
    if (this.split) this.guard(() => this.split?.finish());
    if (this.opts.sync) this.guard(() => syncfs((this.opts.syncFd ?? this.ownSyncFd) as number));
    this.releaseSyncFd();
    return stats;
  }

  private releaseSyncFd(): void {
    if (this.ownSyncFd === undefined) return;
    closeSync(this.ownSyncFd);
    this.ownSyncFd = undefined;
  }

  /** Release what is open; the caller then removes `dest`. */
  abort(): void {
    this.extractor.abort();
    this.split?.abort();
    this.releaseSyncFd();
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      this.abort();
      throw this.describe(e);
    }
  }

  private describe(e: unknown): BerthError {
    if (e instanceof BerthError) return e;
    const code = errnoCode(e);
    const entry = this.extractor.currentName;
    const where = entry === undefined ? '' : ` at "${entry}"`;
    if (code === 'ENOSPC' || code === 'EDQUOT') return toBerthError(e);
    if (code === 'ENAMETOOLONG') return invalid('ERR_LAYER_BAD_NAME', `tar entry name too long for the filesystem${where}`);
    const message = e instanceof Error ? e.message : String(e);
    return internal('ERR_LAYER_WRITE', `cannot write layer${where}: ${message}`, { cause: e });
  }
}
