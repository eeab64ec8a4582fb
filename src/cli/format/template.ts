/**
 * The part of Go's text/template that `--format` users rely on: `{{.Field}}` (nested with dots),
 * `{{json .}}`, `{{json .Field}}`, `{{upper .X}}`, `{{lower .X}}`, `{{join .X ","}}`,
 * `{{truncate .X N}}`, `{{index .X "key"}}`, `{{println}}`, and a leading `table` that adds a
 * header row and aligns columns.
 */
import { invalid } from '../../core/errors.js';
import { goJson } from './go-text.js';

type Value = unknown;
type Node = { kind: 'text'; text: string } | { kind: 'action'; fn: string | undefined; args: string[] };

function tokenizeArgs(src: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) out.push(m[1] !== undefined ? JSON.stringify(JSON.parse(`"${m[1]}"`)) : m[2]);
  return out;
}

function parse(template: string): Node[] {
  const nodes: Node[] = [];
  let rest = template;
  while (rest.length) {
    const start = rest.indexOf('{{');
    if (start < 0) {
      nodes.push({ kind: 'text', text: rest });
      break;
    }
    if (start > 0) nodes.push({ kind: 'text', text: rest.slice(0, start) });
    const end = rest.indexOf('}}', start);
    if (end < 0) {
      // Go's text/template wording, with the line the action starts on.
      const line = template.slice(0, template.length - rest.length + start).split('\n').length;
      throw invalid('ERR_TEMPLATE', `template: :${line}: unclosed action`);
    }
    const inner = rest.slice(start + 2, end).replace(/^-\s*/, '').replace(/\s*-$/, '').trim();
    const words = tokenizeArgs(inner);
    if (words.length && !words[0].startsWith('.') && !words[0].startsWith('"')) nodes.push({ kind: 'action', fn: words[0], args: words.slice(1) });
    else nodes.push({ kind: 'action', fn: undefined, args: words });
    rest = rest.slice(end + 2);
  }
  return nodes;
}

type Getter = (data: Value) => Value;

/** Compile an argument once (a quoted string, a number, `.` or a `.Field.Path`) into a getter. */
function compileArg(arg: string): Getter {
  if (arg.startsWith('"')) {
    const text = JSON.parse(arg) as string;
    return () => text;
  }
  if (/^-?\d+$/.test(arg)) {
    const n = Number(arg);
    return () => n;
  }
  if (arg === '.') return (data) => data;
  const keys = arg.split('.').filter(Boolean);
  return (data) => {
    let cur: Value = data;
    for (const key of keys) {
      if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, Value>)[key];
    }
    return cur;
  };
}

function print(v: Value): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(print).join(' ')}]`;
  if (typeof v === 'object') {
    return `map[${Object.entries(v as Record<string, Value>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, x]) => `${k}:${print(x)}`)
      .join(' ')}]`;
  }
  return String(v);
}

const FUNCS: Record<string, (...args: Value[]) => string> = {
  json: (v) => JSON.stringify(v ?? null),
  upper: (v) => print(v).toUpperCase(),
  lower: (v) => print(v).toLowerCase(),
  title: (v) => print(v).replace(/\b\w/g, (c) => c.toUpperCase()),
  join: (v, sep) => (Array.isArray(v) ? v.map(print).join(String(sep)) : print(v)),
  truncate: (v, n) => [...print(v)].slice(0, Number(n)).join(''),
  index: (v, k) => print(v && typeof v === 'object' ? (v as Record<string, Value>)[String(k)] : undefined),
  println: (...v) => v.map(print).join(' ') + '\n',
  len: (v) => String(Array.isArray(v) ? v.length : typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
};

export class Template {
  private readonly nodes: Node[];
  /** Each node compiled once; rendering a row is then a loop of plain calls. */
  private readonly parts: Array<(data: Value) => string>;
  readonly isTable: boolean;

  /**
   * `listRows`: the data are a list command's rows. docker's rows marshal themselves with
   * encoding/json, so `{{json .}}` of a row escapes <, > and & (\u003c...); any other value goes
   * through an encoder with that escaping off.
   */
  constructor(source: string, opts: { listRows?: boolean } = {}) {
    const unescaped = source.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
    this.isTable = /^table(\s|$)/.test(unescaped);
    this.nodes = parse(this.isTable ? unescaped.replace(/^table\s*/, '') : unescaped);
    this.parts = this.nodes.map((n) => {
      if (n.kind === 'text') return () => n.text;
      if (n.fn === undefined) {
        const get = compileArg(n.args[0] ?? '.');
        return (data) => print(get(data));
      }
      const rowJson = opts.listRows === true && n.fn === 'json' && (n.args[0] ?? '.') === '.';
      const fn = rowJson ? (v: Value) => goJson(v ?? null) : FUNCS[n.fn];
      const name = n.fn;
      const getters = n.args.map(compileArg);
      return (data) => {
        if (!fn) throw invalid('ERR_TEMPLATE', `template: function "${name}" not defined`);
        return fn(...getters.map((g) => g(data)));
      };
    });
  }

  render(data: Value): string {
    let out = '';
    for (const part of this.parts) out += part(data);
    return out;
  }

  /** The header row of a table template: each `{{.Field}}` replaced by its column title. */
  header(titles: Record<string, string>): string {
    return this.nodes
      .map((n) => {
        if (n.kind === 'text') return n.text;
        const arg = n.args[0] ?? '.';
        const name = arg.replace(/^\./, '');
        return titles[name] ?? name.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
      })
      .join('');
  }
}
