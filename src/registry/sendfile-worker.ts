/**
 * The sendfile thread: copies blob bytes from files to client sockets inside the kernel, the way
 * Go's net/http does, so a download costs neither a copy through JavaScript nor the event loop.
 * It owns the descriptors it is given (duplicates of the server's) and closes them when a job
 * ends; it waits for writable sockets with poll(2) and sleeps on an Atomics.wait when idle.
 */
import { closeSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { pollWritable, sendfileChunk } from '../sys/libc.js';

export interface SendJob {
  id: number;
  socketFd: number;
  fileFd: number;
  offset: number;
  length: number;
}

export interface SendResult {
  id: number;
  sent: number;
  error?: string;
}

interface Running {
  job: SendJob;
  offset: BigInt64Array;
  remaining: number;
}

/** At most this much per call, so one fast client cannot hold the others back for long. */
const SLICE = 8 << 20;
const POLL_MS = 5;

const { jobs, wake } = workerData as { jobs: MessagePort; wake: Int32Array };

function finish(r: Running, error?: string): void {
  for (const fd of [r.job.socketFd, r.job.fileFd]) {
    try {
      closeSync(fd);
    } catch {
      // Already closed: nothing to release.
    }
  }
  const result: SendResult = { id: r.job.id, sent: r.job.length - r.remaining, ...(error ? { error } : {}) };
  parentPort?.postMessage(result);
}

function step(r: Running): boolean {
  try {
    const n = sendfileChunk(r.job.socketFd, r.job.fileFd, r.offset, Math.min(r.remaining, SLICE));
    if (n === undefined) return false;
    if (n === 0) {
      finish(r, 'the file ended before the announced length');
      return true;
    }
    r.remaining -= n;
    if (r.remaining === 0) finish(r);
    return r.remaining === 0;
  } catch (e) {
    finish(r, e instanceof Error ? e.message : String(e));
    return true;
  }
}

let running: Running[] = [];
let seen = Atomics.load(wake, 0);
for (;;) {
  for (let m = receiveMessageOnPort(jobs); m; m = receiveMessageOnPort(jobs)) {
    const job = m.message as SendJob;
    running.push({ job, offset: new BigInt64Array([BigInt(job.offset)]), remaining: job.length });
  }
  if (running.length === 0) {
    Atomics.wait(wake, 0, seen);
    seen = Atomics.load(wake, 0);
    continue;
  }
  const states = pollWritable(
    running.map((r) => r.job.socketFd),
    POLL_MS,
  );
  running = running.filter((r, i) => {
    if (states[i] === 'failed') {
      finish(r, 'the client closed the connection');
      return false;
    }
    return states[i] === 'waiting' || !step(r);
  });
}
