/**
 * Flag declarations with the docker CLI's (spf13/pflag) semantics: each flag has a long name, an
 * optional one-letter shorthand, a type word shown in help, and a setter that validates one
 * occurrence. Repeated flags accumulate; the error texts are pflag's and docker's.
 */

/** A setter receives the text of one occurrence and the value so far; it returns the new value. */
export type Setter = (text: string, previous: unknown) => unknown;

export interface FlagSpec {
  name: string;
  short?: string;
  /** The type word in help ("string", "list", "bytes"); empty for booleans. */
  type: string;
  usage: string;
  /** Text shown as " (default X)" in help. */
  defaultText?: string;
  /** The value before any occurrence. */
  initial: unknown;
  /** Booleans take no argument: `--rm` means true, `--rm=false` is allowed. */
  noOptDefault?: string;
  set: Setter;
  hidden?: boolean;
  /** Printed as "Flag --x has been deprecated, <text>" when used. */
  deprecated?: string;
  /** Several names can share one value (`--net` and `--network`). */
  storeAs?: string;
}

/** Go's strconv.ParseBool. */
export function parseGoBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new Error(`strconv.ParseBool: parsing ${goQuote(text)}: invalid syntax`);
}

/** Go's %q for a string (close enough: JSON escapes for control characters). */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** Go's strconv.ParseInt(text, 0, bits): base prefixes 0x, 0o, 0b and leading 0 (octal), underscores. */
export function parseGoInt(text: string, bits = 64, fn = 'ParseInt'): number {
  const syntax = () => new Error(`strconv.${fn}: parsing ${goQuote(text)}: invalid syntax`);
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(text);
  if (!m) throw syntax();
  if (fn === 'ParseUint' && m[1]) throw syntax();
  let digits = m[2];
  if (digits.includes('_')) {
    if (!/^0[xXoObB]?_?[0-9a-fA-F]+(_[0-9a-fA-F]+)*$/.test(digits) && !/^[1-9][0-9]*(_[0-9]+)*$/.test(digits)) throw syntax();
    digits = digits.replace(/_/g, '');
  }
  let value: bigint;
  if (/^0[xX]/.test(digits)) value = BigInt(digits);
  else if (/^0[oO]/.test(digits)) value = BigInt(`0o${digits.slice(2)}`);
  else if (/^0[bB]/.test(digits)) value = BigInt(digits);
  else if (digits.length > 1 && digits.startsWith('0')) value = BigInt(`0o${digits.slice(1)}`);
  else value = BigInt(digits);
  if (m[1] === '-') value = -value;
  const unsigned = fn === 'ParseUint';
  const max = unsigned ? (1n << BigInt(bits)) - 1n : (1n << BigInt(bits - 1)) - 1n;
  const min = unsigned ? 0n : -(1n << BigInt(bits - 1));
  if (value > max || value < min) throw new Error(`strconv.${fn}: parsing ${goQuote(text)}: value out of range`);
  return Number(value);
}

const keep = (v: unknown): unknown => v;

export function boolFlag(name: string, short: string | undefined, usage: string, initial = false): FlagSpec {
  return {
    name,
    short,
    type: '',
    usage,
    initial,
    noOptDefault: 'true',
    defaultText: initial ? 'true' : undefined,
    set: (t) => parseGoBool(t),
  };
}

export function stringFlag(name: string, short: string | undefined, usage: string, initial = '', typeWord = 'string'): FlagSpec {
  return { name, short, type: typeWord, usage, initial, defaultText: initial ? goQuote(initial) : undefined, set: (t) => t };
}

export function intFlag(name: string, short: string | undefined, usage: string, initial = 0, bits = 64): FlagSpec {
  return {
    name,
    short,
    type: 'int',
    usage,
    initial,
    defaultText: initial ? String(initial) : undefined,
    set: (t) => parseGoInt(t, bits),
  };
}

export function uintFlag(name: string, short: string | undefined, usage: string, bits: 16 | 64): FlagSpec {
  return { name, short, type: bits === 16 ? 'uint16' : 'uint', usage, initial: 0, set: (t) => parseGoInt(t, bits, 'ParseUint') };
}

/** A repeatable flag (docker's ListOpts): each occurrence validated, kept in order. */
export function listFlag(name: string, short: string | undefined, usage: string, validate: (t: string) => string = keep as (t: string) => string, typeWord = 'list'): FlagSpec {
  return {
    name,
    short,
    type: typeWord,
    usage,
    initial: [],
    set: (t, prev) => [...(prev as string[]), validate(t)],
  };
}

/** A flag whose value is built by a custom parser (sizes, CPUs, mounts...). */
export function valueFlag(name: string, short: string | undefined, typeWord: string, usage: string, initial: unknown, set: Setter, defaultText?: string): FlagSpec {
  return { name, short, type: typeWord, usage, initial, set, defaultText };
}

export function hidden(spec: FlagSpec, storeAs?: string): FlagSpec {
  return { ...spec, hidden: true, storeAs: storeAs ?? spec.storeAs };
}

export function deprecated(spec: FlagSpec, text: string): FlagSpec {
  return { ...spec, deprecated: text, hidden: true };
}
