/**
 * `--format` handling shared by ps, stats, system df and events: table (with or without a custom
 * template), json (Go's encoding), a custom template, with docker's template extensions that
 * the shared engine lacks rewritten to forms it knows.
 */
import { ExitError } from '../context.js';
import { goJson } from './go-text.js';
import { renderList } from './list.js';
import { Template } from './template.js';

/**
 * `{{.Label "x"}}` is a method call the shared engine cannot make: each distinct label becomes a
 * plain field (`.Label0`) added to the rows, titled as docker titles it (the last dotted part of
 * the name, with - and _ as spaces).
 */
export function rewriteTemplate(format: string): { format: string; labels: string[] } {
  const labels: string[] = [];
  const rewritten = format.replace(/(\{\{-?\s*)\.Label\s+"((?:[^"\\]|\\.)*)"/g, (_m, open: string, name: string) => {
    const label = JSON.parse(`"${name}"`) as string;
    if (!labels.includes(label)) labels.push(label);
    return `${open}.Label${labels.indexOf(label)}`;
  });
  return { format: rewritten, labels };
}

function labelHeader(name: string): string {
  const parts = name.split('.');
  return parts[parts.length - 1].replace(/[-_]/g, ' ');
}

/**
 * Whether a template reads a field (docker requests container sizes only then). `{{json .}}`
 * reads them all: docker finds out by running the template, and marshalling reads every field.
 */
export function usesField(format: string, field: string): boolean {
  return new RegExp(`\\{\\{[^}]*\\.${field}\\b`).test(format) || /\{\{\s*json\s+\.\s*\}\}/.test(format);
}

/** Check a template the way docker does before any request ("failed to parse template"). */
export function checkTemplate(format: string): void {
  if (format === '' || format === 'json' || format === 'table' || format === 'raw') return;
  try {
    new Template(rewriteTemplate(format).format);
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
  const { format: rewritten, labels } = rewriteTemplate(format);
  const f = format === '' || format === 'table' ? defaultTable : normalizeTable(rewritten);
  const allTitles = { ...titles };
  labels.forEach((l, i) => (allTitles[`Label${i}`] = labelHeader(l)));
  const withLabels = labels.length
    ? rows.map((r) => {
        const map = (r as { LabelMap?: Record<string, string> }).LabelMap ?? {};
        // The row's fields may be prototype getters: keep the row as prototype, add the labels.
        return Object.assign(Object.create(r) as object, Object.fromEntries(labels.map((l, i) => [`Label${i}`, map[l] ?? ''])));
      })
    : rows;
  try {
    return renderList(withLabels, { defaultTable, titles: allTitles }, f);
  } catch (e) {
    throw new ExitError(1, `template: ${(e as Error).message}`);
  }
}
