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
  // A log that cannot be written must not take the registry down with it.
  stream.on('error', (e) => process.stderr.write(`registry: access log ${destination}: ${e.message}\n`));
  let closed = false;
  return {
    // Requests still finishing after close (a sendfile download the shutdown cut) are not logged.
    write: (e) => {
      if (!closed) stream.write(JSON.stringify(e) + '\n');
    },
    close: () => {
      closed = true;
      return new Promise<void>((resolve) => stream.end(() => resolve()));
    },
  };
}
