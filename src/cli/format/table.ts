/**
 * Go's text/tabwriter as the docker CLI configures it (minwidth 10, tabwidth 1, padding 3,
 * spaces): tab-terminated cells are aligned per column; the text after a line's last tab is not.
 */

export interface TabwriterOptions {
  minWidth?: number;
  padding?: number;
}

const LOW_SURROGATE = /[\udc00-\udfff]/;

/** Characters (code points) in a string; a tight loop, since tables of thousands of rows call it per cell. */
function width(s: string): number {
  if (!LOW_SURROGATE.test(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // The low half of a surrogate pair does not count: the pair is one character.
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

/** Align rows whose cells are separated by `\t`. Returns the text with a newline after each row. */
export function tabwrite(lines: string[], opts: TabwriterOptions = {}): string {
  const minWidth = opts.minWidth ?? 10;
  const padding = opts.padding ?? 3;
  const rows = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const cells of rows) {
    // Only cells followed by a tab take part in alignment.
    for (let c = 0; c < cells.length - 1; c++) {
      widths[c] = Math.max(widths[c] ?? minWidth, width(cells[c]) + padding);
    }
  }
  return rows
    .map((cells) => cells.map((cell, c) => (c < cells.length - 1 ? cell + ' '.repeat(widths[c] - width(cell)) : cell)).join('') + '\n')
    .join('');
}

/** Cut a string to `max` characters with a trailing ellipsis, as the docker CLI does. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return chars.slice(0, max - 1).join('') + '…';
}
