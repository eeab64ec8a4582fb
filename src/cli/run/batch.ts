/**
 * The docker CLI's pattern for commands over several containers (stop, kill, rm, pause...): run
 * the operation on each (in parallel where docker does), print each name that succeeded in
 * argument order, then fail with every error, one per line.
 */
import { ExitError, write } from '../context.js';
import { errorText } from './errors.js';

export interface BatchOptions {
  parallel: boolean;
  /** Errors printed at once and not counted as failures (rm -f of a missing container). */
  tolerate?: (e: unknown) => boolean;
}

export async function forEachContainer(names: string[], op: (name: string) => Promise<void>, opts: BatchOptions = { parallel: true }): Promise<void> {
  const results: Array<Promise<unknown>> = [];
  if (opts.parallel) {
    for (const n of names) results.push(op(n).then(() => undefined, (e: unknown) => e ?? new Error('failed')));
  }
  const errors: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const outcome = opts.parallel ? await results[i] : await op(names[i]).then(() => undefined, (e: unknown) => e ?? new Error('failed'));
    if (outcome !== undefined) {
      if (opts.tolerate?.(outcome)) process.stderr.write(`${errorText(outcome)}\n`);
      else errors.push(errorText(outcome));
      continue;
    }
    write(`${names[i]}\n`);
  }
  if (errors.length) throw new ExitError(1, errors.join('\n'));
}
