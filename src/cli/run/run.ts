/**
 * `berth run`, step for step as docker's runContainer: create, signal proxy, attach (hijacked,
 * before start so no output is lost), wait registered before start, start, TTY size, then the
 * exit status from the wait. Detached runs print the ID and drop the wait.
 */
import type { EngineClient } from '../../client/engine.js';
import { ExitError } from '../context.js';
import type { CreateBody } from '../opts/container-config.js';
import { createContainer, type CreateOptions } from './create.js';
import { errorText, runFailure } from './errors.js';
import { forwardAllSignals } from './signals.js';
import { streamHijacked, type StreamEnd } from './streamer.js';
import { monitorTtySize, type TerminalStreams } from './terminal.js';
import { waitExitOrRemoved } from './wait.js';

export interface RunOptions {
  detach: boolean;
  /** -a was given (conflicts with -d). */
  attachGiven: boolean;
  sigProxy: boolean;
  detachKeys: string;
  autoRemove: boolean;
  create: CreateOptions;
  terminal: TerminalStreams;
}

export interface AttachRequest {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys: string;
}

/** Open the hijacked attach connection (query keys in Go's sorted order). */
export function attachQuery(a: AttachRequest): Record<string, string | undefined> {
  return {
    detachKeys: a.detachKeys || undefined,
    stderr: a.stderr ? '1' : undefined,
    stdin: a.stdin ? '1' : undefined,
    stdout: a.stdout ? '1' : undefined,
    stream: '1',
  };
}

/** Returns the exit status. */
export async function runContainer(engine: EngineClient, body: CreateBody, o: RunOptions): Promise<number> {
  const t = o.terminal;
  if (!o.detach) {
    if (body.Tty && body.AttachStdin && !t.stdin.isTTY) throw new ExitError(1, 'the input device is not a TTY');
  } else {
    if (o.attachGiven) throw new ExitError(1, 'conflicting options: cannot specify both --attach and --detach');
    body.AttachStdin = false;
    body.AttachStdout = false;
    body.AttachStderr = false;
    body.StdinOnce = false;
  }

  let id: string;
  try {
    id = await createContainer(engine, body, o.create);
  } catch (e) {
    throw runFailure(e, 'run');
  }
  const stopSignals = o.sigProxy ? forwardAllSignals(engine, id) : () => undefined;
  try {
    const attach = body.AttachStdin || body.AttachStdout || body.AttachStderr;
    if (!attach) t.stdout.write(`${id}\n`);

    let streaming: Promise<StreamEnd> | undefined;
    let socket: import('node:stream').Duplex | undefined;
    if (attach) {
      try {
        socket = await engine.hijack('POST', `/containers/${id}/attach`, {
          query: attachQuery({ stdin: body.AttachStdin, stdout: body.AttachStdout, stderr: body.AttachStderr, detachKeys: o.detachKeys }),
        });
      } catch (e) {
        throw new ExitError(1, errorText(e));
      }
      streaming = streamHijacked({
        socket,
        tty: body.Tty,
        stdin: body.AttachStdin ? t.stdin : undefined,
        stdout: body.AttachStdout ? t.stdout : undefined,
        stderr: body.AttachStderr ? (body.Tty ? t.stdout : process.stderr) : undefined,
        detachKeys: o.detachKeys,
        terminal: t,
      });
    }

    const wait = await waitExitOrRemoved(engine, id, o.autoRemove);
    try {
      await engine.call('POST', `/containers/${id}/start`);
    } catch (e) {
      if (socket) {
        socket.destroy();
        await streaming?.catch(() => undefined);
      }
      if (o.autoRemove) await wait.status;
      wait.cancel();
      throw runFailure(e, 'run');
    }

    let stopResize = () => undefined as void;
    if (attach && body.Tty && t.stdout.isTTY) {
      stopResize = monitorTtySize(t, (h, w) => engine.call('POST', `/containers/${id}/resize`, { query: { h, w } }).then(() => undefined));
    }
    try {
      if (streaming && (await streaming) === 'detached') {
        wait.cancel();
        return 0;
      }
    } finally {
      stopResize();
    }
    if (!attach) {
      wait.cancel();
      return 0;
    }
    return await wait.status;
  } finally {
    stopSignals();
  }
}
