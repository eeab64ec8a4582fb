/** The access log: one JSON object per request, to stdout or appended to a file. */
import * as fs from 'node:fs';

export interface AccessLog {
  write(entry: Record<string, unknown>): void;
  close(): Promise<void>;
}

export function openAccessLog(destination: string): AccessLog {
  if (destination === 'off') return { write: () => {}, close: async () => {} };
  if (destination === '-') {
    return { write: (e) => process.stdout.write(JSON.stringify(e) + '\n'), close: async () => {} };
  }
  const stream = fs.createWriteStream(destination, { flags: 'a', mode: 0o640 });
  return {
    write: (e) => stream.write(JSON.stringify(e) + '\n'),
    close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}
