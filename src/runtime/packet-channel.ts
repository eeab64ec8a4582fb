/**
 * A connected AF_UNIX SOCK_SEQPACKET socket (conmon's attach socket) as a stream of packets.
 *
 * Node's net module refuses SEQPACKET fds, and fs.read on one blocks a libuv threadpool thread for
 * as long as the client stays attached (4 by default: a handful of `docker attach` sessions would
 * stall every fs call, dns.lookup and zlib job of the daemon). So the fd is given to libuv's pipe
 * handle instead (process.binding('pipe_wrap'), which uv_pipe_open accepts for any socket): reads
 * then happen on the event loop through epoll, one read(2) per packet, so frames keep their
 * boundaries. If that binding ever disappears, the threadpool path is used.
 */
import * as fs from 'node:fs';
import net from 'node:net';
import { errnoCode } from '../core/errors.js';
import { dupFd, SHUT_RDWR, SHUT_WR, shutdownSocket } from '../sys/libc.js';

/** conmon reads at most this much per packet from a client; larger packets would be cut. */
export const MAX_PACKET = 8192;

export interface PacketChannel {
  /** Called once per packet, in order. */
  onPacket(cb: (packet: Buffer) => void): void;
  /** Called once when the peer closed (or the channel was closed). */
  onEnd(cb: (error?: Error) => void): void;
  /** Send one packet (at most MAX_PACKET bytes); resolves once the kernel took it. */
  send(packet: Buffer): Promise<void>;
  /** shutdown(SHUT_WR): the peer reads end-of-file; packets keep arriving. */
  shutdownWrite(): void;
  pause(): void;
  resume(): void;
  close(): void;
  readonly mode: 'event-loop' | 'threadpool';
}

interface PipeHandle {
  open(fd: number): number;
}
interface PipeWrap {
  Pipe: new (type: number) => PipeHandle;
  constants: { SOCKET: number };
}

function pipeWrap(): PipeWrap | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding('pipe_wrap') as Partial<PipeWrap>;
    return typeof binding.Pipe === 'function' && binding.constants ? (binding as PipeWrap) : undefined;
  } catch {
    return undefined;
  }
}

class SocketChannel implements PacketChannel {
  readonly mode = 'event-loop';
  private ended = false;
  private endCbs: ((e?: Error) => void)[] = [];
  private packetCbs: ((p: Buffer) => void)[] = [];
  /** A dup of the socket, still open after Node has closed its own fd (see drainAfterHangup). */
  private spare: number | undefined;
  private closedByUs = false;

  constructor(
    private readonly socket: net.Socket,
    fd: number,
  ) {
    this.spare = dupFd(fd);
    const finish = (e?: Error) => {
      if (this.ended) return;
      this.ended = true;
      this.drainAfterHangup();
      for (const cb of this.endCbs) cb(e);
    };
    socket.on('data', (p: Buffer) => {
      for (const cb of this.packetCbs) cb(p);
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (e) => finish(e));
  }

  /**
   * libuv treats a short read plus POLLHUP as end-of-file, which is right for a byte stream but
   * not for packets: every SEQPACKET read is "short", so packets queued behind the hang-up (the
   * container's last output) would be dropped. Likewise a reset (conmon exited with our stdin
   * unread) is reported before the packets queued ahead of it. Those packets are read here,
   * synchronously, from the dup: it is non-blocking (shared with libuv's), so this stops at EAGAIN
   * or EOF.
   */
  private drainAfterHangup(): void {
    if (this.spare === undefined || this.closedByUs) return this.releaseSpare();
    const buf = Buffer.allocUnsafe(65536);
    let resets = 0;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(this.spare, buf, 0, buf.length, null);
      } catch (e) {
        // A reset is reported once, ahead of the packets still queued.
        if (errnoCode(e) === 'ECONNRESET' && resets++ === 0) continue;
        break;
      }
      if (n <= 0) break;
      const packet = Buffer.from(buf.subarray(0, n));
      for (const cb of this.packetCbs) cb(packet);
    }
    this.releaseSpare();
  }

  private releaseSpare(): void {
    if (this.spare === undefined) return;
    fs.closeSync(this.spare);
    this.spare = undefined;
  }

  onPacket(cb: (packet: Buffer) => void): void {
    // Flowing mode hands over one read(2) result per 'data' event: one packet each.
    this.packetCbs.push(cb);
  }

  onEnd(cb: (error?: Error) => void): void {
    this.endCbs.push(cb);
  }

  send(packet: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed || !this.socket.writable) {
        reject(Object.assign(new Error('attach connection closed'), { code: 'EPIPE' }));
        return;
      }
      this.socket.write(packet, (e) => (e ? reject(e) : resolve()));
    });
  }

  shutdownWrite(): void {
    if (this.socket.writable) this.socket.end();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.closedByUs = true;
    this.releaseSpare();
    this.socket.destroy();
  }
}

class ThreadpoolChannel implements PacketChannel {
  readonly mode = 'threadpool';
  private packetCb: (p: Buffer) => void = () => {};
  private endCbs: ((e?: Error) => void)[] = [];
  private paused = false;
  private reading = false;
  private done = false;
  private closed = false;

  constructor(private readonly fd: number) {
    queueMicrotask(() => this.pump());
  }

  private fdClosed = false;

  private finish(e?: Error): void {
    if (this.done) return;
    this.done = true;
    for (const cb of this.endCbs) cb(e);
  }

  private closeFd(): void {
    if (this.fdClosed) return;
    this.fdClosed = true;
    fs.close(this.fd, () => {});
  }

  private pump(): void {
    if (this.reading || this.paused || this.done || this.closed) return;
    this.reading = true;
    const buf = Buffer.allocUnsafe(65536);
    fs.read(this.fd, buf, 0, buf.length, null, (err, n) => {
      this.reading = false;
      if (this.closed) {
        this.closeFd();
        return this.finish();
      }
      if (err) return this.finish(err);
      if (n === 0) return this.finish();
      this.packetCb(Buffer.from(buf.subarray(0, n)));
      this.pump();
    });
  }

  onPacket(cb: (packet: Buffer) => void): void {
    this.packetCb = cb;
  }

  onEnd(cb: (error?: Error) => void): void {
    this.endCbs.push(cb);
  }

  send(packet: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.write(this.fd, packet, 0, packet.length, null, (e) => (e ? reject(e) : resolve()));
    });
  }

  shutdownWrite(): void {
    if (!this.closed) shutdownSocket(this.fd, SHUT_WR);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Wakes a pending read (it returns 0); its callback then closes the fd.
    shutdownSocket(this.fd, SHUT_RDWR);
    if (!this.reading) {
      this.closeFd();
      this.finish();
    }
  }
}

/** Wrap a connected SEQPACKET fd; the channel owns it from now on. */
export function packetChannel(fd: number, prefer: 'event-loop' | 'threadpool' = 'event-loop'): PacketChannel {
  const binding = prefer === 'event-loop' ? pipeWrap() : undefined;
  if (binding) {
    const handle = new binding.Pipe(binding.constants.SOCKET);
    const rc = handle.open(fd);
    if (rc === 0) return new SocketChannel(new net.Socket({ handle, allowHalfOpen: true } as net.SocketConstructorOpts), fd);
  }
  return new ThreadpoolChannel(fd);
}
