/**
 * Bridging a client connection (a hijacked HTTP stream) and a container's or exec's stdio: output
 * frames to the client (multiplexed, or raw with a tty), client bytes to stdin with the detach
 * keys filtered out, half-close as end of stdin, and clean teardown from either side.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import type { AttachFrame } from '../runtime/contract.js';
import type { AttachStream } from '../runtime/attach.js';
import { DetachScanner, parseDetachKeys, writeOutput, DEFAULT_DETACH_KEYS } from './stdio.js';

export interface ClientStreams {
  output: Writable;
  input: Readable | undefined;
  socket: Duplex | undefined;
}

export interface BridgeOptions {
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Forward client bytes to the container's stdin. */
  stdin: boolean;
  /** Close the container's stdin when the client ends its input (Docker's StdinOnce). */
  closeStdinOnEnd: boolean;
  detachKeys?: string;
}

export type BridgeEnd = 'exited' | 'detached' | 'client-gone';

/**
 * Pump `attach` ↔ `client` until the container's output ends (it exited), the client typed the
 * detach keys, or the client went away. The client's output is ended in every case.
 */
export function bridge(attach: AttachStream, client: ClientStreams, o: BridgeOptions): Promise<BridgeEnd> {
  return new Promise((resolve) => {
    let finished = false;
    const finish = (how: BridgeEnd) => {
      if (finished) return;
      finished = true;
      if (how !== 'exited') attach.detach();
      client.input?.removeListener('data', onInput);
      if (!client.output.writableEnded) client.output.end();
      resolve(how);
    };

    attach.on('data', (f: AttachFrame) => {
      if ((f.stream === 'stdout' && !o.stdout) || (f.stream === 'stderr' && !o.stderr)) return;
      if (!writeOutput(client.output, o.tty, f.stream, f.data)) {
        attach.pause();
        client.output.once('drain', () => attach.resume());
      }
    });
    attach.once('end', () => finish('exited'));
    attach.once('error', () => finish('exited'));
    client.output.once('close', () => finish('client-gone'));
    client.socket?.once('close', () => finish('client-gone'));

    const scanner = new DetachScanner(parseDetachKeys(o.detachKeys || DEFAULT_DETACH_KEYS));
    const onInput = (chunk: Buffer) => {
      const { forward, detach } = scanner.push(chunk);
      if (forward.length && o.stdin) attach.sendStdin(forward).catch(() => undefined);
      if (detach) finish('detached');
    };
    const endOfInput = () => {
      if (o.stdin && o.closeStdinOnEnd) attach.closeStdin().catch(() => undefined);
    };
    if (client.input?.readableEnded) {
      // The client half-closed before the container started (`docker run -i < /dev/null`): its
      // 'end' is past, and cat & co. would wait on stdin for ever.
      endOfInput();
    } else if (client.input) {
      client.input.on('data', onInput);
      client.input.once('end', endOfInput);
      client.input.resume();
    }
  });
}
