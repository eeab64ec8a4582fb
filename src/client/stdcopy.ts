/**
 * The Engine API's multiplexed stream (attach, exec, logs without a TTY): 8-byte headers
 * [stream, 0, 0, 0, size uint32 BE] then the payload. Stream 0 and 1 go to stdout, 2 to stderr,
 * 3 is an error from the daemon (Go's StdCopy returns "error from daemon in stream: ...").
 */
import type { Readable, Writable } from 'node:stream';

export class DaemonStreamError extends Error {}

function write(out: Writable, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

/** Copy frames from `source` to the two writers until the source ends. */
export async function demultiplex(source: Readable, stdout: Writable, stderr: Writable): Promise<void> {
  let buf: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    buf = buf.length ? Buffer.concat([buf, chunk as Buffer]) : (chunk as Buffer);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const kind = buf[0];
      const payload = buf.subarray(8, 8 + size);
      buf = buf.subarray(8 + size);
      if (kind === 0 || kind === 1) await write(stdout, payload);
      else if (kind === 2) await write(stderr, payload);
      else if (kind === 3) throw new DaemonStreamError(`error from daemon in stream: ${payload.toString('utf8')}`);
      else throw new Error(`Unrecognized input header: ${kind}`);
    }
  }
}

/** Copy a raw (TTY) stream. */
export async function copyRaw(source: Readable, out: Writable): Promise<void> {
  for await (const chunk of source) await write(out, chunk as Buffer);
}
