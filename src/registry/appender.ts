/**
 * A Writable that appends a request body to a file at a given offset, hashing as it goes. Chunks
 * are gathered into large vectored writes, and writeback of what is written is started along the
 * way (sync_file_range), so the fsync at commit finds little left to flush: the disk works while
 * the bytes are still arriving.
 */
import * as fs from 'node:fs';
import { Writable } from 'node:stream';
import type { Digester } from '../core/digest.js';
import { startWriteback } from '../sys/libc.js';

const BUFFER_BYTES = 4 << 20;
const WRITEBACK_EVERY = 16 << 20;

function writev(fd: number, buffers: Buffer[], position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.writev(fd, buffers, position, (err, n) => (err ? reject(err) : resolve(n))));
}

/** Write every byte of `buffers` at `position`, continuing after short writes. */
async function writeAll(fd: number, buffers: Buffer[], position: number): Promise<void> {
  let pending = buffers;
  let pos = position;
  while (pending.length > 0) {
    let n = await writev(fd, pending, pos);
    pos += n;
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (n >= b.length) n -= b.length;
      else {
        rest.push(n > 0 ? b.subarray(n) : b);
        n = 0;
      }
    }
    pending = rest;
  }
}

export class FileAppender extends Writable {
  /** Bytes written to the file so far. */
  written = 0;
  private flushedTo: number;
  private writeback: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly fd: number,
    private readonly start: number,
    private readonly hasher: Digester | undefined,
  ) {
    super({ highWaterMark: BUFFER_BYTES });
    this.flushedTo = start;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeChunks([chunk]).then(() => cb(), cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.writeChunks(chunks.map((c) => c.chunk)).then(() => cb(), cb);
  }

  /** Wait for the last writeback request, so nothing touches the descriptor after the caller closes it. */
  override _final(cb: (err?: Error | null) => void): void {
    this.writeback.then(() => cb(), cb);
  }

  private async writeChunks(buffers: Buffer[]): Promise<void> {
    const position = this.start + this.written;
    const writing = writeAll(this.fd, buffers, position);
    // Hash on this thread while the thread pool writes; a failed write discards the hash anyway.
    for (const b of buffers) this.hasher?.update(b);
    await writing;
    for (const b of buffers) this.written += b.length;
    const end = this.start + this.written;
    if (end - this.flushedTo >= WRITEBACK_EVERY) {
      const [from, length] = [this.flushedTo, end - this.flushedTo];
      this.writeback = this.writeback.then(() => startWriteback(this.fd, from, length));
      this.flushedTo = end;
    }
  }
}
