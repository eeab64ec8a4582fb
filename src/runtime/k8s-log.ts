/**
 * conmon's k8s-file log format: one record per line,
 * `<RFC3339Nano with numeric offset> <stdout|stderr> <F|P> <bytes>`, where P marks a partial line
 * (the source line continues in the next record of that stream). Records are joined back into
 * Docker's log entries: one per source line, with its newline.
 */
import type { LogEntry, StreamName } from './contract.js';
import { parseRfc3339Ns, rfc3339FromNs } from '../core/humanize.js';

export interface K8sRecord {
  timeNs: bigint;
  stream: StreamName;
  partial: boolean;
  content: Buffer;
}

const SPACE = 0x20;

/** ns since the epoch of `2026-11-26T20:03:54.193133139+00:00` (or `...Z`). */
export const parseTimestampNs = parseRfc3339Ns;

/** Docker's timestamp format for `logs -t` and the API: RFC3339 with exactly 9 fraction digits, UTC. */
export const formatTimestampNs = rfc3339FromNs;

/** Parse one record line (without its newline); undefined for a malformed line. */
export function parseK8sLine(line: Buffer): K8sRecord | undefined {
  const s1 = line.indexOf(SPACE);
  const s2 = s1 < 0 ? -1 : line.indexOf(SPACE, s1 + 1);
  const s3 = s2 < 0 ? -1 : line.indexOf(SPACE, s2 + 1);
  if (s3 < 0) {
    // "<ts> <stream> <tag>" with an empty body has no third space.
    if (s2 < 0 || line.length - s2 !== 2) return undefined;
  }
  const timeNs = parseTimestampNs(line.subarray(0, s1).toString('latin1'));
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  const tag = line.subarray(s2 + 1, s3 < 0 ? line.length : s3).toString('latin1');
  if (timeNs === undefined || (stream !== 'stdout' && stream !== 'stderr') || (tag !== 'F' && tag !== 'P')) return undefined;
  return { timeNs, stream, partial: tag === 'P', content: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1) };
}

/** Joins partial records per stream into whole entries (timestamped by their first fragment). */
export class EntryAssembler {
  private readonly pending = new Map<StreamName, { timeNs: bigint; parts: Buffer[] }>();

  /** Feed a record; returns the entry it completes, if any. */
  push(r: K8sRecord): LogEntry | undefined {
    const p = this.pending.get(r.stream);
    if (r.partial) {
      if (p) p.parts.push(r.content);
      else this.pending.set(r.stream, { timeNs: r.timeNs, parts: [r.content] });
      return undefined;
    }
    this.pending.delete(r.stream);
    const parts = p ? [...p.parts, r.content] : [r.content];
    return { stream: r.stream, timeNs: p ? p.timeNs : r.timeNs, data: Buffer.concat([...parts, Buffer.from('\n')]) };
  }

  /** Entries for unfinished lines (the container ended without a newline), oldest first. */
  flush(): LogEntry[] {
    const out = [...this.pending.entries()].map(([stream, p]) => ({ stream, timeNs: p.timeNs, data: Buffer.concat(p.parts) }));
    this.pending.clear();
    return out.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  }
}
