/**
 * `berth events` lines: docker's pretty form "<time> <type> <action> <id> (k=v, ...)" with the
 * event's nanosecond time kept exact (read from the JSON text, beyond a double's precision),
 * `json` re-encoded in the Message field order, or a custom template.
 */
import { Template } from './template.js';

interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> | null };
  scope?: string;
  time?: number;
  timeNano?: number;
}

/** Go's "2006-01-02T15:04:05.000000000Z07:00" in the local zone. */
function fixedNano(seconds: bigint, nanos: bigint): string {
  const d = new Date(Number(seconds) * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${p(Math.trunc(Math.abs(offset) / 60))}:${p(Math.abs(offset) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${String(nanos).padStart(9, '0')}${zone}`;
}

function sortedAttributes(a: Record<string, string> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(a ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

export function eventLine(line: string, format: string): string {
  const m = JSON.parse(line) as EventMessage;
  const rawNano = /"timeNano"\s*:\s*(\d+)/.exec(line)?.[1] ?? '0';
  const timeNano = BigInt(rawNano);
  if (format === 'json') {
    const parts: string[] = [];
    if (m.status) parts.push(`"status":${JSON.stringify(m.status)}`);
    if (m.id) parts.push(`"id":${JSON.stringify(m.id)}`);
    if (m.from) parts.push(`"from":${JSON.stringify(m.from)}`);
    parts.push(`"Type":${JSON.stringify(m.Type ?? '')}`, `"Action":${JSON.stringify(m.Action ?? '')}`);
    parts.push(`"Actor":${JSON.stringify({ ID: m.Actor?.ID ?? '', Attributes: sortedAttributes(m.Actor?.Attributes) })}`);
    parts.push(`"scope":${JSON.stringify(m.scope ?? '')}`, `"time":${m.time ?? 0}`, `"timeNano":${rawNano}`);
    return `{${parts.join(',')}}\n`;
  }
  if (format) return new Template(format).render(m) + '\n';
  let out = '';
  if (timeNano !== 0n) out += `${fixedNano(timeNano / 1000000000n, timeNano % 1000000000n)} `;
  else if (m.time) out += `${fixedNano(BigInt(m.time), 0n)} `;
  out += `${m.Type ?? ''} ${m.Action ?? ''} ${m.Actor?.ID ?? ''}`;
  const attrs = Object.entries(sortedAttributes(m.Actor?.Attributes));
  if (attrs.length) out += ` (${attrs.map(([k, v]) => `${k}=${v}`).join(', ')})`;
  return out + '\n';
}
