/** Query-string conventions of the Engine API (moby's httputils). */
import { invalid } from '../core/errors.js';
import { nowNs, parseRfc3339Ns } from '../core/humanize.js';

/** moby BoolValue: "", "0", "no", "false", "none" (any case, trimmed) are false; anything else is true. */
export function boolParam(query: URLSearchParams, key: string, fallback = false): boolean {
  const v = query.get(key);
  if (v === null) return fallback;
  return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
}

/** An integer parameter; undefined when absent or empty; a 400 when not a number. */
export function intParam(query: URLSearchParams, key: string): number | undefined {
  const v = query.get(key);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw invalid('ERR_BAD_PARAMETER', `invalid value for ${key}: ${v}`);
  return n;
}

export type Filters = Map<string, string[]>;

/**
 * The `filters` parameter: JSON `{"key":["v1","v2"]}` or the legacy `{"key":{"v1":true}}`.
 * Unknown keys are the caller's to reject.
 */
export function filtersParam(query: URLSearchParams): Filters {
  const raw = query.get('filters');
  const out: Filters = new Map();
  if (raw === null || raw === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw invalid('ERR_BAD_FILTERS', `invalid filters: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalid('ERR_BAD_FILTERS', 'invalid filters: expected a JSON object');
  }
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out.set(k, v.map(String));
    else if (v && typeof v === 'object') out.set(k, Object.keys(v as object));
    else throw invalid('ERR_BAD_FILTERS', `invalid filters: value of ${k} must be a list`);
  }
  return out;
}

/** Reject filter keys the endpoint does not know, with moby's wording. */
export function checkFilterKeys(filters: Filters, allowed: readonly string[]): void {
  for (const k of filters.keys()) {
    if (!allowed.includes(k)) throw invalid('ERR_BAD_FILTERS', `Invalid filter '${k}'`);
  }
}

const DURATION_UNIT_NS: Record<string, bigint> = { ns: 1n, us: 1_000n, µs: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/**
 * A time as the Engine API takes it in `since`/`until` parameters and filters: unix seconds with
 * an optional fraction, RFC 3339 (or another date Date.parse reads), or a Go duration before now
 * (`10m`, `1h30m`). Returns ns since the epoch; `what` names the value in the error.
 */
export function parseTimeNs(text: string, what: string): bigint {
  if (/^\d+(\.\d+)?$/.test(text)) {
    const [s, frac = ''] = text.split('.');
    return BigInt(s) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
  }
  const exact = parseRfc3339Ns(text);
  if (exact !== undefined) return exact;
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) {
    let ago = 0n;
    for (const [, n, , unit] of text.matchAll(/(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ago += BigInt(Math.round(Number(n) * Number(DURATION_UNIT_NS[unit])));
    return nowNs() - ago;
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw invalid('ERR_BAD_TIME', `invalid ${what}: ${text}`);
  return BigInt(ms) * 1_000_000n;
}
