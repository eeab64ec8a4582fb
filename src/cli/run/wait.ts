/**
 * `POST /containers/{id}/wait` registered before the container starts (docker's
 * waitExitOrRemoved): resolves once the daemon has sent its headers; `status` settles when the
 * body arrives (the container's exit code, 125 when the wait itself failed).
 */
import type { IncomingMessage } from 'node:http';
import type { EngineClient } from '../../client/engine.js';

export interface ContainerWait {
  status: Promise<number>;
  /** Drop the connection (detached run: nobody waits). */
  cancel(): void;
}

/** logrus's error line, as the docker CLI logs a failed wait (text form when not a terminal). */
function logError(message: string): void {
  if (process.stderr.isTTY) {
    process.stderr.write(`ERRO[0000] ${message}\n`);
    return;
  }
  const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  process.stderr.write(`time="${time}" level=error msg=${JSON.stringify(message)}\n`);
}

async function readStatus(engine: EngineClient, res: IncomingMessage): Promise<number> {
  try {
    await engine.check(res);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Error?: { Message?: string } | null; StatusCode: number };
    if (body.Error) {
      logError(`Error waiting for container: ${body.Error.Message ?? ''}`);
      return 125;
    }
    return body.StatusCode;
  } catch (e) {
    if (res.destroyed && !res.complete) return 125;
    const { errorText } = await import('./errors.js');
    logError(`error waiting for container: ${errorText(e)}`);
    return 125;
  }
}

/** `condition` is "removed" with --rm (the daemon removes the container), else "next-exit". */
export async function waitExitOrRemoved(engine: EngineClient, id: string, removed: boolean): Promise<ContainerWait> {
  const res = await engine.raw('POST', `/containers/${id}/wait`, { query: { condition: removed ? 'removed' : 'next-exit' } });
  return { status: readStatus(engine, res), cancel: () => res.destroy() };
}
