/**
 * Copying between the local stdio and a hijacked attach/exec connection, as docker's
 * hijackedIOStreamer does: output demultiplexed (raw with a TTY); stdin copied raw and the
 * connection half-closed at its end (at once when stdin is not attached); on a terminal the
 * input is raw and watched for the detach keys. Returns when the output ends or the user detaches.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import { devNull } from './devnull.js';
import { copyRaw, demultiplex } from '../../client/stdcopy.js';
import { DEFAULT_DETACH_KEYS, detachKeysToBytes, EscapeDetector } from './escape.js';
import { makeRaw, type TerminalStreams } from './terminal.js';

export interface HijackedStreams {
  socket: Duplex;
  tty: boolean;
  /** Local input, when stdin is attached. */
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  detachKeys?: string;
  terminal: TerminalStreams;
}

export type StreamEnd = 'done' | 'detached';

function pumpInput(o: HijackedStreams, onDetach: () => void): () => void {
  const { socket, stdin } = o;
  if (!stdin) {
    socket.end();
    return () => undefined;
  }
  let detector: EscapeDetector | undefined;
  if (o.tty && o.terminal.stdin.isTTY) {
    let keys: Buffer = DEFAULT_DETACH_KEYS;
    if (o.detachKeys) {
      try {
        keys = detachKeysToBytes(o.detachKeys);
      } catch {
        // docker warns and falls back to the default keys
      }
    }
    detector = new EscapeDetector(keys);
  }
  const onData = (chunk: Buffer) => {
    if (!detector) {
      socket.write(chunk);
      return;
    }
    const { forward, detached } = detector.feed(chunk);
    if (forward.length) socket.write(forward);
    if (detached) onDetach();
  };
  const onEnd = () => socket.end();
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  stdin.once('error', onEnd);
  return () => {
    stdin.removeListener('data', onData);
    stdin.removeListener('end', onEnd);
    stdin.removeListener('error', onEnd);
    stdin.pause();
  };
}

export async function streamHijacked(o: HijackedStreams): Promise<StreamEnd> {
  const restore = o.stdin && o.tty ? makeRaw(o.terminal) : () => undefined;
  let detach!: () => void;
  const detached = new Promise<StreamEnd>((resolve) => (detach = () => resolve('detached')));
  const stopInput = pumpInput(o, detach);
  const output = (async (): Promise<StreamEnd> => {
    if (o.tty && o.stdout) await copyRaw(o.socket, o.stdout);
    else if (o.stdout || o.stderr) await demultiplex(o.socket, o.stdout ?? devNull(), o.stderr ?? devNull());
    else for await (const _ of o.socket) void _;
    return 'done';
  })();
  try {
    return await Promise.race([output, detached]);
  } finally {
    stopInput();
    restore();
    o.socket.destroy();
  }
}
