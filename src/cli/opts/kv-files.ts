/**
 * `--env-file` and `--label-file`: line-oriented KEY=value files read as docker reads them
 * (leading whitespace trimmed, # comments, values passed through untouched, a bare KEY taking
 * its value from berth's own environment for env files).
 */
import { readFileSync } from 'node:fs';

function parseKeyValueFile(filename: string, fromEnv: boolean): string[] {
  let data: Buffer;
  try {
    data = readFileSync(filename);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `open ${filename}: no such file or directory` : `open ${filename}: ${(e as Error).message}`);
  }
  const lines: string[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // bufio.Scanner's lines: split on \n, a trailing \r dropped, no empty last line.
  const rows: Buffer[] = [];
  for (let start = 0; start < data.length; ) {
    let end = data.indexOf(0x0a, start);
    if (end < 0) end = data.length;
    let row = data.subarray(start, end);
    if (row.length && row[row.length - 1] === 0x0d) row = row.subarray(0, row.length - 1);
    rows.push(row);
    start = end + 1;
  }
  rows.forEach((bytes, i) => {
    let raw: string;
    try {
      raw = decoder.decode(bytes);
    } catch {
      throw new Error(`env file ${filename} contains invalid utf8 bytes at line ${i + 1}: [${[...bytes].join(' ')}]`);
    }
    const unbommed = i === 0 ? raw.replace(/^\ufeff/, '') : raw;
    const line = unbommed.replace(/^\s+/, '');
    if (line.length === 0 || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const variable = (eq >= 0 ? line.slice(0, eq) : line).replace(/^[ \t]+/, '');
    if (/[ \t]/.test(variable)) throw new Error(`poorly formatted environment: variable '${variable}' contains whitespaces`);
    if (variable.length === 0) throw new Error(`poorly formatted environment: no variable name on line '${line}'`);
    if (eq >= 0) {
      lines.push(`${variable}=${line.slice(eq + 1)}`);
      return;
    }
    const value = fromEnv ? process.env[line] : undefined;
    lines.push(value !== undefined ? `${line.trim()}=${value}` : line.trim());
  });
  return lines;
}

/** docker's ReadKVEnvStrings: the files' variables, then the -e overrides. */
export function readEnvStrings(files: string[], overrides: string[]): string[] {
  return [...files.flatMap((f) => parseKeyValueFile(f, true)), ...overrides];
}

/** docker's ReadKVStrings (labels). */
export function readKvStrings(files: string[], overrides: string[]): string[] {
  return [...files.flatMap((f) => parseKeyValueFile(f, false)), ...overrides];
}
