/**
 * docker's GetTimestamp for --since/--until: a Go duration ("42m", relative to now), a unix
 * timestamp ("1700000000", "1700000000.5") passed through, or an RFC 3339 date/time (local
 * time when it carries no zone), sent as "seconds.nanoseconds".
 */
import { goQuote } from '../flags/spec.js';
import { parseGoDuration } from './units.js';

function localOffsetMinutes(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  return -new Date(y, mo - 1, d, h, mi, s).getTimezoneOffset();
}

export function getTimestamp(value: string, now = Date.now()): string {
  if (value !== '0') {
    try {
      const ns = parseGoDuration(value);
      return String(Math.floor((now - ns / 1e6) / 1000));
    } catch {
      // not a duration
    }
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const [h, mi, s] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
    const nanos = (m[7] ?? '').padEnd(9, '0');
    let offset: number;
    if (m[8] === undefined) offset = localOffsetMinutes(y, mo, d, h, mi, s);
    else if (/^[Zz]$/.test(m[8])) offset = 0;
    else offset = (m[8][0] === '-' ? -1 : 1) * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(4, 6)));
    const seconds = Date.UTC(y, mo - 1, d, h, mi, s) / 1000 - offset * 60;
    return `${seconds}.${nanos || '000000000'}`;
  }
  if (value.includes('-')) throw new Error(`parsing time ${goQuote(value)}: cannot parse ${goQuote(value)} as RFC 3339`);
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`failed to parse value as time or duration: ${goQuote(value)}`);
  return value;
}
