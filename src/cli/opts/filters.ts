/**
 * `-f/--filter key=value` (docker's FilterOpt): names lower-cased and trimmed, values trimmed,
 * sent as the API's filters JSON {"key":{"value":true}} with Go's sorted keys.
 */
import { valueFlag, type FlagSpec } from '../flags/spec.js';

export type Filters = Record<string, string[]>;

export function filterFlag(name: string, short: string | undefined, usage: string): FlagSpec {
  return valueFlag(name, short, 'filter', usage, {}, (text, prev) => {
    if (text === '') return prev;
    const eq = text.indexOf('=');
    if (eq < 0) throw new Error('bad format of filter (expected name=value)');
    const key = text.slice(0, eq).trim().toLowerCase();
    const value = text.slice(eq + 1).trim();
    const out: Filters = { ...(prev as Filters) };
    out[key] = [...(out[key] ?? []).filter((v) => v !== value), value];
    return out;
  });
}

/** The `filters=` query value, or undefined when there are none. */
export function filtersJson(f: Filters): string | undefined {
  const keys = Object.keys(f).sort();
  if (keys.length === 0) return undefined;
  const obj: Record<string, Record<string, boolean>> = {};
  for (const k of keys) obj[k] = Object.fromEntries([...f[k]].sort().map((v) => [v, true]));
  return JSON.stringify(obj);
}
