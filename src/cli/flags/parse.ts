/**
 * Command-line parsing with pflag's rules: `--name value`, `--name=value`, grouped shorthands
 * (`-it`, `-p8080:80`, `-e=X`), booleans that take `=false`, `--` ending the flags, and (for
 * run/create/exec) no flags after the first argument. Errors carry pflag's texts.
 */
import { goQuote, type FlagSpec } from './spec.js';

/** A bad command line: the message is printed with the usage line, exit status 125. */
export class FlagError extends Error {}

/** `--help` (or `-h` when free) was given. */
export class HelpRequested extends Error {}

export class ParsedFlags {
  private readonly values = new Map<string, unknown>();
  private readonly changedNames = new Set<string>();

  constructor(private readonly specs: FlagSpec[]) {
    for (const s of specs) if (!this.values.has(key(s))) this.values.set(key(s), s.initial);
  }

  /** Apply one occurrence of a flag. */
  set(spec: FlagSpec, text: string): void {
    this.values.set(key(spec), spec.set(text, this.values.get(key(spec))));
    this.changedNames.add(spec.name);
    this.changedNames.add(key(spec));
  }

  get<T>(name: string): T {
    const spec = this.specs.find((s) => s.name === name);
    if (!spec) throw new Error(`flag --${name} is not defined`);
    return this.values.get(key(spec)) as T;
  }

  str(name: string): string {
    return this.get<string>(name);
  }

  bool(name: string): boolean {
    return this.get<boolean>(name);
  }

  num(name: string): number {
    return this.get<number>(name);
  }

  list(name: string): string[] {
    return this.get<string[]>(name);
  }

  /** Whether the user gave the flag (pflag's Changed). */
  changed(name: string): boolean {
    return this.changedNames.has(name);
  }
}

function key(s: FlagSpec): string {
  return s.storeAs ?? s.name;
}

export interface ParseOptions {
  /** False for run/create/exec: the first argument ends the flags (pflag SetInterspersed(false)). */
  interspersed: boolean;
  /** `-h` means help unless a flag already uses that shorthand. */
  helpShorthand: boolean;
  /** Deprecation notices go here. */
  warn?: (text: string) => void;
}

export function flagDisplayName(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

export function parseArgs(specs: FlagSpec[], argv: string[], opts: ParseOptions): { flags: ParsedFlags; args: string[] } {
  const flags = new ParsedFlags(specs);
  const args: string[] = [];
  const rest = [...argv];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));

  const apply = (spec: FlagSpec, text: string) => {
    if (spec.deprecated) opts.warn?.(`Flag --${spec.name} has been deprecated, ${spec.deprecated}\n`);
    try {
      flags.set(spec, text);
    } catch (e) {
      throw new FlagError(`invalid argument ${goQuote(text)} for ${goQuote(flagDisplayName(spec))} flag: ${(e as Error).message}`);
    }
  };

  while (rest.length) {
    const s = rest.shift() as string;
    if (s.length < 2 || s[0] !== '-') {
      if (!opts.interspersed) {
        args.push(s, ...rest);
        break;
      }
      args.push(s);
      continue;
    }
    if (s[1] === '-') {
      if (s.length === 2) {
        args.push(...rest);
        break;
      }
      const body = s.slice(2);
      if (body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${s}`);
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const spec = byName.get(name);
      if (!spec) {
        if (name === 'help') throw new HelpRequested();
        throw new FlagError(`unknown flag: --${name}`);
      }
      if (eq >= 0) apply(spec, body.slice(eq + 1));
      else if (spec.noOptDefault !== undefined) apply(spec, spec.noOptDefault);
      else if (rest.length) apply(spec, rest.shift() as string);
      else throw new FlagError(`flag needs an argument: ${s}`);
      continue;
    }
    let shorts = s.slice(1);
    while (shorts.length) {
      const c = shorts[0];
      const spec = byShort.get(c);
      if (!spec) {
        if (c === 'h' && opts.helpShorthand) throw new HelpRequested();
        throw new FlagError(`unknown shorthand flag: '${c}' in -${shorts}`);
      }
      if (shorts.length > 2 && shorts[1] === '=') {
        apply(spec, shorts.slice(2));
        shorts = '';
      } else if (spec.noOptDefault !== undefined) {
        apply(spec, spec.noOptDefault);
        shorts = shorts.slice(1);
      } else if (shorts.length > 1) {
        apply(spec, shorts.slice(1));
        shorts = '';
      } else if (rest.length) {
        apply(spec, rest.shift() as string);
        shorts = '';
      } else {
        throw new FlagError(`flag needs an argument: '${c}' in -${shorts}`);
      }
    }
  }
  return { flags, args };
}
