/**
 * `--help` text laid out like the docker CLI's (cobra's usage template with pflag's wrapped flag
 * list): sorted flags, aligned descriptions wrapped to the terminal width.
 */
import type { FlagSpec } from './spec.js';

export interface HelpInfo {
  useLine: string;
  description: string;
  aliases?: string[];
  /** Sub-commands of a group ("container", "system"): name and one-line description. */
  commands?: Array<[string, string]>;
  /** The group's path for the trailing hint ("berth container"). */
  groupPath?: string;
  flags: FlagSpec[];
}

// pflag's wrapN: split s on whitespace into a first part of at most i runes (or i+slop if that
// takes all of it) and the rest.
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

// pflag's wrap: wrap s to width w, continuation lines indented by i.
function wrap(i: number, w: number, s: string): string {
  if (w === 0) return s.replaceAll('\n', '\n' + ' '.repeat(i));
  let width = w - i;
  let out = '';
  if (width < 24) {
    i = 16;
    width = w - i;
    out += '\n' + ' '.repeat(i);
  }
  if (width < 24) return s.replaceAll('\n', out);
  const slop = 5;
  width -= slop;
  let [line, rest] = wrapN(width, slop, s);
  out += line.replaceAll('\n', '\n' + ' '.repeat(i));
  while (rest !== '') {
    [line, rest] = wrapN(width, slop, rest);
    out += '\n' + ' '.repeat(i) + line.replaceAll('\n', '\n' + ' '.repeat(i));
  }
  return out;
}

/** pflag's FlagUsagesWrapped(cols). */
export function flagUsages(flags: FlagSpec[], cols: number): string {
  const visible = flags.filter((f) => !f.hidden).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines: string[] = [];
  let maxlen = 0;
  for (const f of visible) {
    let line = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    if (f.type) line += ` ${f.type}`;
    line += '\x00';
    maxlen = Math.max(maxlen, line.length);
    line += f.usage;
    if (f.defaultText !== undefined) line += ` (default ${f.defaultText})`;
    lines.push(line);
  }
  return lines
    .map((line) => {
      const sidx = line.indexOf('\x00');
      return `${line.slice(0, sidx)} ${' '.repeat(maxlen - sidx)} ${wrap(maxlen + 2, cols, line.slice(sidx + 1))}\n`;
    })
    .join('');
}

export function terminalColumns(): number {
  return process.stdin.isTTY && process.stdout.columns ? process.stdout.columns : 80;
}

export function renderHelp(h: HelpInfo, cols = terminalColumns()): string {
  let out = `Usage:  ${h.useLine}\n\n${h.description}\n`;
  if (h.aliases?.length) out += `\nAliases:\n  ${h.aliases.join(', ')}\n`;
  if (h.commands?.length) {
    const pad = Math.max(11, ...h.commands.map(([n]) => n.length)) + 1;
    out += `\nCommands:\n${h.commands.map(([n, d]) => `  ${n.padEnd(pad)}${d}\n`).join('')}`;
  }
  const usages = flagUsages(h.flags, cols - 1);
  if (usages) out += `\nOptions:\n${usages.replace(/\s+$/, '')}\n`;
  if (h.groupPath) out += `\nRun '${h.groupPath} COMMAND --help' for more information on a command.\n`;
  return out;
}
