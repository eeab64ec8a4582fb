/**
 * `--format` handling shared by ps, stats, system df and events: table (with or without a custom
 * template), json (Go's encoding), a custom template, with docker's template extensions that
 * the shared engine lacks rewritten to forms it knows.
 */
import { ExitError } from '../context.js';
import { goJson } from './go-text.js';
import { renderList } from './list.js';
import { Template } from './template.js';

/** `{{.Label "x"}}` → `{{index .LabelMap "x"}}` (a method call the engine cannot make). */
export function rewriteTemplate(format: string): string {
  return format.replace(/(\{\{-?\s*)\.Label\s+("(?:[^"\\]|\\.)*")/g, '$1index .LabelMap $2');
}

/** Whether a template reads a field (docker requests container sizes only then). */
export function usesField(format: string, field: string): boolean {
  return new RegExp(`\\{\\{[^}]*\\.${field}\\b`).test(format);
}

/** Check a template the way docker does before any request ("failed to parse template"). */
export function checkTemplate(format: string): void {
  if (format === '' || format === 'json' || format === 'table' || format === 'raw') return;
  try {
    new Template(rewriteTemplate(format));
  } catch (e) {
    throw new ExitError(1, `failed to parse template: ${(e as Error).message}`);
  }
}

/** docker's preFormat: "table" may be glued to the template; the rest is trimmed of spaces. */
function normalizeTable(format: string): string {
  return format.startsWith('table') ? `table ${format.slice(5).replace(/^ +| +$/g, '')}` : format;
}

export function renderRows(rows: object[], format: string, defaultTable: string, titles: Record<string, string>): string {
  if (format.trim() === 'json') return rows.map((r) => goJson(r) + '\n').join('');
  const f = format === '' || format === 'table' ? defaultTable : normalizeTable(rewriteTemplate(format));
  try {
    return renderList(rows, { defaultTable, titles }, f);
  } catch (e) {
    throw new ExitError(1, `template: ${(e as Error).message}`);
  }
}
