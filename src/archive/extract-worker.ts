/**
 * Worker-thread side of extractLayer (extract.ts): runs one ExtractSession on the chunks it is
 * sent, acknowledging each so the sender can keep a bounded window, and exits when done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toBerthError } from '../core/errors.js';
import type { FromWorker, ToWorker, WorkerInit } from './extract.js';
import { ExtractSession } from './extract-session.js';

if (parentPort === null) throw new Error('extract-worker must run in a worker thread');
const port = parentPort;
const init = workerData as WorkerInit;

const post = (m: FromWorker) => port.postMessage(m);
let session: ExtractSession | undefined;
let stopped = false;

function stop(error?: unknown): void {
  if (error !== undefined) {
    const e = toBerthError(error);
    post({ error: { kind: e.kind, code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } });
  }
  stopped = true;
  port.close();
}

try {
  session = new ExtractSession(init.dest, init.session);
} catch (e) {
  stop(e);
}

port.on('message', (m: ToWorker) => {
  if (stopped || session === undefined) return;
  try {
    if ('chunk' in m) {
      session.push(m.chunk);
      const memory = m.chunk.buffer as ArrayBuffer;
      port.postMessage({ ack: memory } satisfies FromWorker, [memory]);
    } else if ('end' in m) {
      post({ done: session.end() });
      stop();
    } else {
      session.abort();
      stop();
    }
  } catch (e) {
    session.abort();
    stop(e);
  }
});
