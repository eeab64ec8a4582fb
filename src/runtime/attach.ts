/**
 * A client of conmon's attach socket: frames `[stream id][payload]` from conmon (2 = stdout,
 * 3 = stderr) become an object-mode Readable of AttachFrames with backpressure; what the caller
 * sends goes to the container's stdin (when conmon was started with `-i`). `closeStdin` is a
 * half-close (conmon then closes the container's stdin unless told to leave it open) while output
 * keeps flowing; `detach` drops the connection and leaves the container running.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Mutex } from '../core/mutex.js';
import { conflict, errnoCode } from '../core/errors.js';
import { connectSeqpacket } from '../sys/libc.js';
import type { AttachFrame } from './contract.js';
import { MAX_PACKET, packetChannel, type PacketChannel } from './packet-channel.js';

const STREAMS: Record<number, AttachFrame['stream']> = { 2: 'stdout', 3: 'stderr' };
const SUN_PATH_MAX = 107;

/** Connect to a SEQPACKET socket, going through /proc/self/fd/<dir> when the path is too long for sun_path. */
export function connectAttachSocket(socketPath: string): number {
  try {
    if (Buffer.byteLength(socketPath) <= SUN_PATH_MAX) return connectSeqpacket(socketPath);
    const dirFd = fs.openSync(path.dirname(socketPath), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      return connectSeqpacket(`/proc/self/fd/${dirFd}/${path.basename(socketPath)}`);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ECONNREFUSED') throw conflict('ERR_NOT_RUNNING', 'cannot attach: the container is not running (its monitor is gone)', { cause: e });
    throw e;
  }
}

export interface AttachOptions {
  /** Hold the end of the output until this settles (an exec's exit code, so it is known first). */
  holdEndUntil?: Promise<unknown>;
  /** Force the threadpool reader (for measurements); default the event loop. */
  io?: 'event-loop' | 'threadpool';
}

export class AttachStream extends Readable {
  private readonly sendLock = new Mutex();
  private stdinClosed = false;
  /** The connection's error, if it ended with one (the stream itself just ends). */
  connectionError?: Error;

  constructor(
    private readonly channel: PacketChannel,
    opts: AttachOptions = {},
  ) {
    super({ objectMode: true, highWaterMark: 64 });
    channel.onPacket((packet) => {
      const stream = STREAMS[packet[0]];
      if (!stream || packet.length < 2) return;
      if (!this.push({ stream, data: packet.subarray(1) } satisfies AttachFrame)) channel.pause();
    });
    channel.onEnd((e) => {
      if (e && errnoCode(e) !== 'ECONNRESET') this.connectionError = e;
      channel.close();
      void Promise.resolve(opts.holdEndUntil)
        .catch(() => undefined)
        .then(() => this.push(null));
    });
  }

  /** How reads are served: on the event loop (normal) or by threadpool threads (fallback). */
  get ioMode(): PacketChannel['mode'] {
    return this.channel.mode;
  }

  override _read(): void {
    this.channel.resume();
  }

  /** Send bytes to the container's stdin, in packets conmon reads whole, one at a time. */
  sendStdin(data: Buffer | string): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    return this.sendLock.run(async () => {
      if (this.stdinClosed) throw conflict('ERR_STDIN_CLOSED', 'stdin is already closed');
      for (let off = 0; off < buf.length; off += MAX_PACKET) await this.channel.send(buf.subarray(off, off + MAX_PACKET));
    });
  }

  /** End of input: after what was sent so far, the container reads end-of-file (unless conmon leaves stdin open). */
  closeStdin(): Promise<void> {
    return this.sendLock.run(() => {
      if (this.stdinClosed) return;
      this.stdinClosed = true;
      this.channel.shutdownWrite();
    });
  }

  /** Drop the connection; the container keeps running. */
  detach(): void {
    this.channel.close();
  }
}

/** Attach to a running (or created) container's or exec's attach socket. */
export function attachSocket(socketPath: string, opts: AttachOptions = {}): AttachStream {
  const fd = connectAttachSocket(socketPath);
  return new AttachStream(packetChannel(fd, opts.io ?? 'event-loop'), opts);
}
