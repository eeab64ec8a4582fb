/**
 * conmon's sync pipe (`_OCI_SYNCPIPE`, `--api-version 1`): JSON lines `{"data": N}` or
 * `{"data": -1, "message": "..."}`. For a container, one line with the pid; for an exec, the pid
 * and later the exit status.
 */
import type { Readable } from 'node:stream';

export interface SyncMessage {
  data: number;
  message?: string;
}

export class SyncPipe {
  private buffered = '';
  private readonly queue: SyncMessage[] = [];
  private waiters: ((m: SyncMessage | undefined) => void)[] = [];
  private ended = false;

  constructor(private readonly stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl).trim();
        this.buffered = this.buffered.slice(nl + 1);
        if (line) this.deliver(parseSyncLine(line));
      }
    });
    const end = () => {
      if (this.ended) return;
      this.ended = true;
      for (const w of this.waiters.splice(0)) w(undefined);
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  private deliver(m: SyncMessage): void {
    const w = this.waiters.shift();
    if (w) w(m);
    else this.queue.push(m);
  }

  /** The next message; undefined once conmon closed the pipe. */
  next(): Promise<SyncMessage | undefined> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.stream.destroy();
  }
}

export function parseSyncLine(line: string): SyncMessage {
  try {
    const v = JSON.parse(line) as { data?: unknown; message?: unknown };
    const msg: SyncMessage = { data: typeof v.data === 'number' ? v.data : -1 };
    if (typeof v.message === 'string') msg.message = v.message;
    return msg;
  } catch {
    return { data: -1, message: line };
  }
}
