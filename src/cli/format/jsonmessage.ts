/**
 * Progress streams (pull, push, load) printed as the docker CLI prints them when its output is
 * not a terminal (jsonmessage.Display): "<id>: <status>" lines, progress-bar updates skipped,
 * `stream` text verbatim, and the first errorDetail turned into a failure.
 */
import type { Readable, Writable } from 'node:stream';
import { readJsonMessages } from '../../client/engine.js';

export class JsonMessageError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

interface JsonMessage {
  status?: string;
  id?: string;
  from?: string;
  stream?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  errorDetail?: { code?: number; message?: string };
  error?: string;
  time?: number;
  timeNano?: number;
}

/** Whether the message would draw a progress bar (Go's JSONProgress.String() is not empty). */
function hasProgressBar(m: JsonMessage): boolean {
  const d = m.progressDetail;
  return !!d && ((d.current ?? 0) > 0 || (d.total ?? 0) > 0);
}

export function formatJsonMessage(m: JsonMessage): string {
  if (!m.stream && hasProgressBar(m)) return '';
  let line = '';
  if (m.id) line += `${m.id}: `;
  if (m.from) line += `(from ${m.from}) `;
  if (m.stream) return line + m.stream;
  return `${line}${m.status ?? ''}\n`;
}

/** Print the stream to `out`; throws JsonMessageError at the first error message. */
export async function displayJsonMessages(source: Readable, out: Writable): Promise<void> {
  let failure: JsonMessageError | undefined;
  await readJsonMessages(source, (raw) => {
    if (failure) return;
    const m = raw as JsonMessage;
    if (m.errorDetail) {
      failure = new JsonMessageError(m.errorDetail.message ?? m.error ?? '', m.errorDetail.code);
      return;
    }
    const text = formatJsonMessage(m);
    if (text) out.write(text);
  });
  if (failure) throw failure;
}
