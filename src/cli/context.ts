/** What every berth command shares: the engine client and Docker-style error reporting. */
import { BerthError } from '../core/errors.js';
import { DEFAULT_HOST, EngineClient, EngineError } from '../client/engine.js';

export interface GlobalOptions {
  host?: string;
}

let client: EngineClient | undefined;
let hostOverride: string | undefined;

export function setHost(host: string | undefined): void {
  hostOverride = host;
}

export function engine(): EngineClient {
  client ??= new EngineClient(hostOverride ?? process.env.BERTH_HOST ?? DEFAULT_HOST);
  return client;
}

/** A failure that has already been reported and only needs an exit status. */
export class ExitError extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
  }
}

/** Print an error as the docker CLI would and return the exit status. */
export function reportError(e: unknown): number {
  if (e instanceof ExitError) {
    if (e.message) process.stderr.write(e.message.endsWith('\n') ? e.message : `${e.message}\n`);
    return e.code;
  }
  if (e instanceof EngineError) {
    process.stderr.write(`Error response from daemon: ${e.message}\n`);
    return 1;
  }
  if (e instanceof BerthError) {
    process.stderr.write(`${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
    return 1;
  }
  process.stderr.write(`berth: ${(e as Error)?.message ?? String(e)}\n`);
  return 1;
}

export function write(text: string): void {
  process.stdout.write(text);
}
