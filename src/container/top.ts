/**
 * `docker top`: the host's `ps` output restricted to the container's processes, as dockerd does
 * it (ps runs on the host, rows are kept when their PID column names a container process).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { invalid } from '../core/errors.js';

const run = promisify(execFile);

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

export function parsePs(output: string, pids: number[], psArgs: string): TopResult {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return { Titles: [], Processes: [] };
  const titles = lines[0].trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw invalid('ERR_TOP', `Couldn't find PID field in ps output`);
  const wanted = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    // The last column (the command) may contain spaces: keep it whole.
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    const pid = Number(row[pidIndex]);
    if (!Number.isInteger(pid)) throw invalid('ERR_TOP', `Unexpected pid '${row[pidIndex]}': ps ${psArgs}`);
    if (wanted.has(pid)) processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}

export async function top(pids: number[], psArgs: string): Promise<TopResult> {
  const args = (psArgs || '-ef').split(/\s+/).filter(Boolean);
  let stdout: string;
  try {
    ({ stdout } = await run('ps', args, { maxBuffer: 16 << 20 }));
  } catch (e) {
    // dockerd's wording: "ps: " and the first line of what ps said (not its usage text)
    const stderr = (e as { stderr?: string }).stderr ?? '';
    const first = stderr.split('\n').find((l) => l.trim() !== '') ?? (e as Error).message;
    throw invalid('ERR_TOP', `ps: ${first.trim()}`);
  }
  return parsePs(stdout, pids, psArgs || '-ef');
}
