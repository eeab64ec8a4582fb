/**
 * The byte formats of attach, exec and logs streams: Docker's 8-byte frame headers without a
 * tty (raw bytes with one), and the detach-key sequence (`ctrl-p,ctrl-q` by default) that a
 * client types to leave a container running.
 */
import type { Writable } from 'node:stream';
import { invalid } from '../core/errors.js';

export type StreamName = 'stdin' | 'stdout' | 'stderr' | 'system';
const STREAM_ID: Record<StreamName, number> = { stdin: 0, stdout: 1, stderr: 2, system: 3 };

/** One multiplexed frame: `[stream, 0, 0, 0, size uint32 BE]` + payload. */
export function frame(stream: StreamName, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = STREAM_ID[stream];
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/** Write stream output to a client: framed, or raw when the container has a tty. Returns false under backpressure. */
export function writeOutput(out: Writable, tty: boolean, stream: StreamName, data: Buffer): boolean {
  if (out.writableEnded || out.destroyed) return true;
  return out.write(tty ? data : frame(stream, data));
}

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Parse Docker's detach-keys syntax: comma-separated `ctrl-<key>` or single characters. */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(k);
    if (!m) throw invalid('ERR_DETACH_KEYS', `Invalid detach keys (${spec}) provided`);
    const c = m[1].toLowerCase();
    if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
    else if (c === '@') out.push(0);
    else if (c === '[') out.push(27);
    else if (c === '\\') out.push(28);
    else if (c === ']') out.push(29);
    else if (c === '^') out.push(30);
    else if (c === '_') out.push(31);
    else throw invalid('ERR_DETACH_KEYS', `Invalid detach keys (${spec}) provided`);
  }
  if (out.length === 0) throw invalid('ERR_DETACH_KEYS', `Invalid detach keys (${spec}) provided`);
  return Buffer.from(out);
}

/**
 * Scans stdin for the detach sequence. Bytes that may be the start of the sequence are held
 * back until it is clear; a complete sequence detaches and is never forwarded.
 */
export class DetachScanner {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  /** The bytes to forward, and whether the sequence was completed (what follows it is dropped). */
  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      // Mismatch: the held prefix was ordinary input after all.
      for (let i = 0; i < this.matched; i++) out.push(this.keys[i]);
      this.matched = 0;
      if (b === this.keys[0]) this.matched = 1;
      else out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
