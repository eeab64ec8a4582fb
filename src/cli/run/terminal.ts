/**
 * The local terminal during `run -t`, `exec -t`, `attach`: raw input like moby/term's MakeRaw
 * (output post-processing off too, so the container's "\r\n" reaches the screen unchanged),
 * restored on every exit path, and the size kept in sync with the container's.
 */
import { spawnSync } from 'node:child_process';

export interface TerminalStreams {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

export const processTerminal = (): TerminalStreams => ({ stdin: process.stdin, stdout: process.stdout });

/** Put stdin's terminal in raw mode; returns the restore function (idempotent). */
export function makeRaw(t: TerminalStreams): () => void {
  if (process.env.NORAW || !t.stdin.isTTY) return () => undefined;
  t.stdin.setRawMode(true);
  // libuv's raw mode keeps OPOST; docker's clears it.
  spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    // setRawMode(false) puts back the whole termios libuv saved, OPOST included.
    t.stdin.setRawMode(false);
  };
  process.once('exit', restore);
  return restore;
}

/** [rows, cols] of stdout when it is a terminal, else [0, 0] (docker's GetTtySize). */
export function ttySize(t: TerminalStreams): [number, number] {
  return t.stdout.isTTY ? [t.stdout.rows ?? 0, t.stdout.columns ?? 0] : [0, 0];
}

/**
 * Resize now and on every SIGWINCH. The first resize is retried a few times (the process may not
 * have its terminal yet), as docker's initTtySize does. Returns the function that stops watching.
 */
export function monitorTtySize(t: TerminalStreams, resize: (h: number, w: number) => Promise<void>): () => void {
  const resizeNow = async (): Promise<boolean> => {
    const [h, w] = ttySize(t);
    if (h === 0 && w === 0) return true;
    try {
      await resize(h, w);
      return true;
    } catch {
      return false;
    }
  };
  const onWinch = () => void resizeNow();
  process.on('SIGWINCH', onWinch);
  void (async () => {
    if (await resizeNow()) return;
    for (let retry = 1; retry <= 10; retry++) {
      await new Promise((r) => setTimeout(r, retry * 10));
      if (await resizeNow()) return;
    }
    process.stderr.write('failed to resize tty, using default size\n');
  })();
  return () => process.removeListener('SIGWINCH', onWinch);
}
