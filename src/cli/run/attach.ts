/**
 * `start -a [-i]` and `attach`: docker's flows around an existing container. start -a inspects,
 * attaches, registers the wait, then starts; attach registers a plain wait, checks the state,
 * attaches, re-checks, nudges the TTY size, and streams until the container stops.
 */
import type { EngineClient } from '../../client/engine.js';
import { ExitError } from '../context.js';
import { attachQuery } from './run.js';
import { forwardAllSignals } from './signals.js';
import { streamHijacked } from './streamer.js';
import { monitorTtySize, ttySize, type TerminalStreams } from './terminal.js';
import { waitExitOrRemoved } from './wait.js';

export interface ContainerState {
  Id: string;
  Config: { Tty: boolean; OpenStdin: boolean };
  HostConfig: { AutoRemove: boolean };
  State: { Running: boolean; Paused: boolean; Restarting: boolean };
}

export function inspectContainer(engine: EngineClient, name: string): Promise<ContainerState> {
  return engine.json<ContainerState>('GET', `/containers/${name}/json`);
}

export interface StartAttachOptions {
  interactive: boolean;
  detachKeys: string;
  terminal: TerminalStreams;
}

/** `start -a` / `start -i`: returns the container's exit status (0 when the user detached). */
export async function startAttached(engine: EngineClient, name: string, o: StartAttachOptions): Promise<number> {
  const t = o.terminal;
  const c = await inspectContainer(engine, name);
  const stopSignals = c.Config.Tty ? () => undefined : forwardAllSignals(engine, c.Id);
  try {
    const stdin = o.interactive && c.Config.OpenStdin;
    const socket = await engine.hijack('POST', `/containers/${c.Id}/attach`, {
      query: attachQuery({ stdin, stdout: true, stderr: true, detachKeys: o.detachKeys }),
    });
    const streaming = streamHijacked({
      socket,
      tty: c.Config.Tty,
      stdin: stdin ? t.stdin : undefined,
      stdout: t.stdout,
      stderr: process.stderr,
      detachKeys: o.detachKeys,
      terminal: t,
    });
    const wait = await waitExitOrRemoved(engine, c.Id, c.HostConfig.AutoRemove);
    try {
      await engine.call('POST', `/containers/${c.Id}/start`);
    } catch (e) {
      socket.destroy();
      await streaming.catch(() => undefined);
      if (c.HostConfig.AutoRemove) await wait.status;
      wait.cancel();
      throw e;
    }
    const stopResize = c.Config.Tty && t.stdout.isTTY ? monitorTtySize(t, (h, w) => resize(engine, c.Id, h, w)) : () => undefined;
    try {
      if ((await streaming) === 'detached') {
        wait.cancel();
        return 0;
      }
    } finally {
      stopResize();
    }
    return await wait.status;
  } finally {
    stopSignals();
  }
}

function resize(engine: EngineClient, id: string, h: number, w: number): Promise<void> {
  return engine.call('POST', `/containers/${id}/resize`, { query: { h, w } }).then(() => undefined);
}

function checkState(c: ContainerState): void {
  if (!c.State.Running) throw new ExitError(1, 'You cannot attach to a stopped container, start it first');
  if (c.State.Paused) throw new ExitError(1, 'You cannot attach to a paused container, unpause it first');
  if (c.State.Restarting) throw new ExitError(1, 'You cannot attach to a restarting container, wait until it is running');
}

export interface AttachOptions {
  noStdin: boolean;
  detachKeys: string;
  sigProxy: boolean;
  terminal: TerminalStreams;
}

/** `attach`: returns the exit status reported by the wait. */
export async function attachContainer(engine: EngineClient, name: string, o: AttachOptions): Promise<number> {
  const t = o.terminal;
  const waitRes = await engine.raw('POST', `/containers/${name}/wait`);
  try {
    const c = await inspectContainer(engine, name);
    checkState(c);
    if (c.Config.Tty && !o.noStdin && !t.stdin.isTTY) throw new ExitError(1, 'the input device is not a TTY');
    const stdin = !o.noStdin && c.Config.OpenStdin;
    const stopSignals = o.sigProxy && !c.Config.Tty ? forwardAllSignals(engine, name) : () => undefined;
    try {
      const socket = await engine.hijack('POST', `/containers/${name}/attach`, {
        query: attachQuery({ stdin, stdout: true, stderr: true, detachKeys: o.detachKeys }),
      });
      checkState(await inspectContainer(engine, name).catch((e: unknown) => {
        socket.destroy();
        throw e;
      }));
      let stopResize = () => undefined as void;
      if (c.Config.Tty && t.stdout.isTTY) {
        const [h, w] = ttySize(t);
        await resize(engine, name, h + 1, w + 1).catch(() => undefined);
        stopResize = monitorTtySize(t, (hh, ww) => resize(engine, name, hh, ww));
      }
      let end;
      try {
        end = await streamHijacked({ socket, tty: c.Config.Tty, stdin: stdin ? t.stdin : undefined, stdout: t.stdout, stderr: process.stderr, detachKeys: o.detachKeys, terminal: t });
      } finally {
        stopResize();
      }
      // docker prints the escape error (moby/term's EscapeError) and exits 1.
      if (end === 'detached') throw new ExitError(1, 'read escape sequence');
    } finally {
      stopSignals();
    }
    await engine.check(waitRes);
    const chunks: Buffer[] = [];
    for await (const chunk of waitRes) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Error?: { Message: string } | null; StatusCode: number };
    if (body.Error) throw new ExitError(1, body.Error.Message);
    return body.StatusCode;
  } finally {
    waitRes.destroy();
  }
}
