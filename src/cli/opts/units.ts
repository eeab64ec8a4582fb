/**
 * The value syntaxes of docker's flags, with their error texts: go-units sizes (RAMInBytes),
 * big.Rat CPU counts, Go durations, and Go's float parsing.
 */
import { goQuote } from '../flags/spec.js';

const BINARY: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** Go's strconv.ParseFloat(text, 64) for the decimal forms flags use. */
export function parseGoFloat(text: string): number {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text) && !/^[+-]?(inf|infinity|nan)$/i.test(text)) {
    throw new Error(`strconv.ParseFloat: parsing ${goQuote(text)}: invalid syntax`);
  }
  return Number(text.replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
}

/** go-units RAMInBytes: "64m", "1.5G", "512KiB", "100" (bytes). */
export function ramInBytes(size: string): number {
  const sep = Math.max(...[...'0123456789. '].map((c) => size.lastIndexOf(c)));
  if (sep === -1) throw new Error(`invalid size: '${size}'`);
  const num = size[sep] !== ' ' ? size.slice(0, sep + 1) : size.slice(0, sep);
  let sfx = size.slice(sep + 1);
  let value = parseGoFloat(num);
  if (value < 0) throw new Error(`invalid size: '${size}'`);
  if (sfx.length === 0) return Math.trunc(value);
  const bad = () => new Error(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw bad();
    return Math.trunc(value);
  }
  const mul = BINARY[sfx[0]];
  if (!mul) throw bad();
  value *= mul;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw bad();
  return Math.trunc(value);
}

/** docker's ParseCPUs: a rational number of CPUs as nano-CPUs ("1.5" → 1500000000). */
export function parseNanoCpus(value: string): number {
  // big.Rat SetString accepts "a/b", decimals and exponents.
  const ratio = /^([+-]?\d+)\/(\d+)$/.exec(value);
  const bad = () => new Error(`failed to parse ${value} as a rational number`);
  let num: bigint;
  let den: bigint;
  if (ratio) {
    num = BigInt(ratio[1]);
    den = BigInt(ratio[2]);
    if (den === 0n) throw bad();
  } else {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(value);
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw bad();
    const frac = m[3] ?? '';
    num = BigInt(`${m[1]}${m[2] || '0'}${frac}`);
    den = 10n ** BigInt(frac.length);
    const exp = Number(m[4] ?? 0);
    if (exp > 0) num *= 10n ** BigInt(exp);
    else if (exp < 0) den *= 10n ** BigInt(-exp);
  }
  const nano = num * 1000000000n;
  if (nano % den !== 0n) throw new Error('value is too precise');
  return Number(nano / den);
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds ("1m30s" → 90e9). */
export function parseGoDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration ${goQuote(text)}`);
  let s = text;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  while (s) {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw invalid();
    s = s.slice(m[0].length);
    const u = /^[^\d.]*/.exec(s)?.[0] ?? '';
    if (u === '') throw new Error(`time: missing unit in duration ${goQuote(text)}`);
    const mult = DURATION_UNITS[u];
    if (mult === undefined) throw new Error(`time: unknown unit ${goQuote(u)} in duration ${goQuote(text)}`);
    s = s.slice(u.length);
    total += Number(m[1] || '0') * mult + (m[2] ? Number(`0.${m[2]}`) * mult : 0);
  }
  return sign * Math.round(total);
}

/** Go's time.Duration.String() ("1m30s", "500ms", "0s"). */
export function goDurationString(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = Math.abs(ns);
  let out: string;
  if (u < 1e9) {
    const [unit, div] = u < 1e3 ? ['ns', 1] : u < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    out = `${trimFloat(u / div)}${unit}`;
  } else {
    const h = Math.floor(u / 3600e9);
    u -= h * 3600e9;
    const m = Math.floor(u / 60e9);
    u -= m * 60e9;
    out = `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${trimFloat(u / 1e9)}s`;
  }
  return neg ? `-${out}` : out;
}

function trimFloat(v: number): string {
  return String(Number(v.toFixed(9)));
}
