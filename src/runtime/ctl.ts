/**
 * conmon's control FIFO (`<bundle>/ctl`): `1 <h> <w>` resizes the tty, `2 0 0` makes conmon reopen
 * its log file (after berth renamed it, for rotation). Opened non-blocking, so a FIFO without its
 * conmon reports "not running" instead of hanging the daemon.
 */
import * as fsp from 'node:fs/promises';
import { constants } from 'node:fs';
import { conflict, errnoCode, invalid } from '../core/errors.js';

async function send(ctlPath: string, line: string): Promise<void> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(ctlPath, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENXIO' || code === 'ENOENT') throw conflict('ERR_NOT_RUNNING', 'the container is not running', { cause: e });
    throw e;
  }
  try {
    await fh.write(line);
  } finally {
    await fh.close();
  }
}

/** Resize the container's (or exec's) tty. */
export async function resizeTerminal(ctlPath: string, height: number, width: number): Promise<void> {
  const ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= 65535;
  if (!ok(height) || !ok(width)) throw invalid('ERR_TTY_SIZE', `invalid terminal size ${height}x${width}`);
  await send(ctlPath, `1 ${height} ${width}\n`);
}

/** Ask conmon to reopen its log file (it creates a new one at the configured path). */
export async function reopenLog(ctlPath: string): Promise<void> {
  await send(ctlPath, '2 0 0\n');
}
