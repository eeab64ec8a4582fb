/**
 * Zero-copy blob downloads over plain HTTP: after Node has written the response headers, the
 * body goes from the file to the socket with sendfile(2) on a dedicated thread (see
 * sendfile-worker.ts), which gets its own duplicates of both descriptors, so a socket Node closes
 * meanwhile is never confused with a new one. TLS sockets, and anything unexpected, fall back to
 * streaming through Node.
 */
import type { FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { dupFd } from '../sys/libc.js';
import type { SendJob, SendResult } from './sendfile-worker.js';

/** Below this, a plain stream costs less than the round trip to the thread. */
export const SENDFILE_MIN_BYTES = 1 << 20;

interface Thread {
  worker: Worker;
  jobs: MessagePort;
  wake: Int32Array;
}

let thread: Thread | undefined;
let nextId = 1;
const waiting = new Map<number, (r: SendResult) => void>();
/**
 * Bodies sent around Node's socket accounting, per response (for metrics and the access log):
 * bytes sent and whether all of them went, known when the sendfile job has ended.
 */
export interface AsideBody {
  bytes: number;
  complete: boolean;
}
const sentAside = new WeakMap<ServerResponse, Promise<AsideBody>>();

function startThread(): Thread {
  const { port1, port2 } = new MessageChannel();
  const wake = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./sendfile-worker.js', import.meta.url), { workerData: { jobs: port2, wake }, transferList: [port2] });
  worker.on('message', (r: SendResult) => {
    waiting.get(r.id)?.(r);
    waiting.delete(r.id);
  });
  worker.on('error', (e) => {
    // The thread died: fail what it had, start a new one for the next download.
    for (const done of waiting.values()) done({ id: 0, sent: 0, error: `sendfile thread failed: ${e.message}` });
    waiting.clear();
    thread = undefined;
  });
  // Neither the thread nor its job channel may keep the process alive (after the listeners,
  // which would take a reference again).
  worker.unref();
  port1.unref();
  return { worker, jobs: port1, wake };
}

/** The kernel descriptor of a plain TCP socket; undefined for TLS or when Node does not expose it. */
function socketFd(socket: Socket | null): number | undefined {
  if (!socket || socket instanceof TLSSocket) return undefined;
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

export function canSendfile(res: ServerResponse, length: number): boolean {
  return length >= SENDFILE_MIN_BYTES && socketFd(res.socket) !== undefined;
}

/**
 * Send `length` bytes of `fh` from `offset` as the body of `res`, whose headers have been
 * written. Resolves when the kernel has taken the last byte; rejects when the client went away.
 */
export async function sendBody(res: ServerResponse, fh: FileHandle, offset: number, length: number): Promise<void> {
  const socket = res.socket;
  const fd = socketFd(socket);
  if (!socket || fd === undefined) throw new Error('sendfile needs a plain TCP socket');
  // The headers must be in the kernel before the body: an empty write completes after them.
  res.flushHeaders();
  await new Promise<void>((resolve, reject) => socket.write(Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
  const job: SendJob = { id: nextId++, socketFd: dupFd(fd), fileFd: dupFd(fh.fd), offset, length };
  thread ??= startThread();
  const result = new Promise<SendResult>((resolve) => waiting.set(job.id, resolve));
  sentAside.set(res, result.then((r) => ({ bytes: r.sent, complete: !r.error && r.sent === length })));
  thread.jobs.postMessage(job);
  Atomics.add(thread.wake, 0, 1);
  Atomics.notify(thread.wake, 0);
  const r = await result;
  if (r.error) throw new Error(r.error);
}

/**
 * The body this response sent with sendfile, once that job has ended (undefined when it sent
 * none). A client that has all the bytes may close before the handler ends the response: the
 * request is still a success, which only the job's outcome can tell.
 */
export function bodySentAside(res: ServerResponse): Promise<AsideBody> | undefined {
  return sentAside.get(res);
}
