/**
 * Error texts and exit statuses of the container commands: daemon answers read as
 * "Error response from daemon: ...", and docker run's mapping of start failures to 125/126/127.
 */
import { EngineError } from '../../client/engine.js';
import { ExitError } from '../context.js';

/** What the docker CLI's err.Error() would say for this failure. */
export function errorText(e: unknown): string {
  if (e instanceof EngineError) return `Error response from daemon: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** docker's runStartContainerErr: 127 not found, 126 not executable, else 125. */
export function startFailureStatus(e: unknown): number {
  const text = errorText(e).replace(/^Error response from daemon: /, '');
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(text)) return 127;
  if (/permission denied|is a directory/.test(text)) return 126;
  return 125;
}

/** "berth: <msg>" plus the help hint, as run/create print their failures. */
export function withHelp(e: unknown, command: string): string {
  return `berth: ${errorText(e)}\n\nRun 'berth ${command} --help' for more information`;
}

/** A failure of run/create: printed with the help hint, exit status from the rules above. */
export function runFailure(e: unknown, command: string, status = startFailureStatus(e)): ExitError {
  if (e instanceof ExitError) return e;
  return new ExitError(status, withHelp(e, command));
}
