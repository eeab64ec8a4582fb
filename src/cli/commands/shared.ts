/** Small pieces several commands share. */
import * as readline from 'node:readline';
import { invalid } from '../../core/errors.js';

/** `-f key=value` flags to the API's filters map. */
export function filtersQuery(values: string[] | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    if (i <= 0) throw invalid('ERR_BAD_FILTER', `bad format of filter (expected name=value)`);
    (out[v.slice(0, i)] ??= []).push(v.slice(i + 1));
  }
  return out;
}

/** Ask a yes/no question on the terminal; anything but y/yes is no. */
export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    process.stdout.write(question);
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const answer = await new Promise<string>((resolve) => {
    rl.question(process.stdin.isTTY ? question : '', resolve);
    rl.on('close', () => resolve(''));
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}
