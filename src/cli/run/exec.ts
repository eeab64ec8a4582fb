/**
 * `berth exec` as docker's RunExec: inspect the container (so "no such container" wins), check
 * the TTY, create the exec, then either start it detached or hijack its start, resize with -t,
 * and exit with the ExitCode of `GET /exec/{id}/json`.
 */
import type { EngineClient } from '../../client/engine.js';
import { ExitError } from '../context.js';
import { streamHijacked } from './streamer.js';
import { monitorTtySize, type TerminalStreams } from './terminal.js';

export interface ExecOptions {
  container: string;
  cmd: string[];
  detach: boolean;
  detachKeys: string;
  env: string[];
  interactive: boolean;
  privileged: boolean;
  tty: boolean;
  user: string;
  workdir: string;
  terminal: TerminalStreams;
}

/** Returns the exit status of the command (0 when detached). */
export async function runExec(engine: EngineClient, o: ExecOptions): Promise<number> {
  const t = o.terminal;
  const attachStdin = !o.detach && o.interactive;
  await engine.json('GET', `/containers/${o.container}/json`);
  if (!o.detach && o.tty && attachStdin && !t.stdin.isTTY) throw new ExitError(1, 'the input device is not a TTY');
  const created = await engine.json<{ Id: string }>('POST', `/containers/${o.container}/exec`, {
    body: {
      User: o.user,
      Privileged: o.privileged,
      Tty: o.tty,
      AttachStdin: attachStdin,
      AttachStderr: !o.detach,
      AttachStdout: !o.detach,
      Detach: o.detach,
      DetachKeys: o.detachKeys,
      Env: o.env.length ? o.env : null,
      WorkingDir: o.workdir,
      Cmd: o.cmd,
    },
  });
  if (!created?.Id) throw new ExitError(1, 'exec ID empty');
  const id = created.Id;
  if (o.detach) {
    await engine.call('POST', `/exec/${id}/start`, { body: { Detach: true, Tty: o.tty } });
    return 0;
  }
  const socket = await engine.hijack('POST', `/exec/${id}/start`, { body: { Detach: false, Tty: o.tty } });
  const streaming = streamHijacked({
    socket,
    tty: o.tty,
    stdin: attachStdin ? t.stdin : undefined,
    stdout: t.stdout,
    stderr: o.tty ? t.stdout : process.stderr,
    detachKeys: o.detachKeys,
    terminal: t,
  });
  const stopResize = o.tty && t.stdin.isTTY ? monitorTtySize(t, (h, w) => engine.call('POST', `/exec/${id}/resize`, { query: { h, w } }).then(() => undefined)) : () => undefined;
  try {
    if ((await streaming) === 'detached') throw new ExitError(1, 'read escape sequence');
  } finally {
    stopResize();
  }
  const inspect = await engine.json<{ ExitCode: number | null }>('GET', `/exec/${id}/json`);
  return inspect.ExitCode ?? 0;
}
