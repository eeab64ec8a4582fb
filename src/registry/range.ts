/**
 * HTTP byte ranges (RFC 9110) as the distribution spec's conformance tests check them, and the
 * `Content-Range: <start>-<end>` of chunked uploads.
 */
import type { ByteRange } from '../content/contract.js';
import { regError } from './errors.js';
import type { ChunkRange } from './uploads.js';

export type RangeAnswer = { kind: 'full' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

/**
 * Interpret a `Range` request header against a blob of `size` bytes. Absent, not about bytes, or
 * several ranges: the full blob (ignoring Range is always allowed). A single range that selects
 * nothing (start past the end, start after end) is unsatisfiable.
 */
export function interpretRange(header: string | undefined, size: number): RangeAnswer {
  if (!header) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    // Suffix form: the last N bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(size - n, 0), end: size - 1 } };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || (m[2] !== '' && Number(m[2]) < start)) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end } };
}

/** A chunk's `Content-Range: <start>-<end>` (inclusive); 416 when malformed or reversed. */
export function parseContentRange(header: string | undefined): ChunkRange | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m || Number(m[2]) < Number(m[1]) || !Number.isSafeInteger(Number(m[2]))) {
    throw regError('RANGE_INVALID', `invalid Content-Range: ${JSON.stringify(header.slice(0, 100))}`, { status: 416 });
  }
  return { start: Number(m[1]), end: Number(m[2]) };
}
