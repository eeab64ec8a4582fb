/** Output of list commands as the docker CLI prints them: table (default), Go template, or json. */
import { goJson } from './go-text.js';
import { tabwrite } from './table.js';
import { Template } from './template.js';

export interface ListFormat {
  /** The table template used when --format is absent, e.g. `table {{.ID}}\t{{.Image}}`. */
  defaultTable: string;
  /** Column titles by field name (`ID` → `IMAGE ID`). */
  titles: Record<string, string>;
}

export function renderList(items: object[], spec: ListFormat, format: string | undefined): string {
  if (format === 'json') return items.map((i) => goJson(i) + '\n').join('');
  const tpl = new Template(format && format !== 'table' ? format : spec.defaultTable, { listRows: true });
  if (!tpl.isTable) return items.map((i) => tpl.render(i) + '\n').join('');
  return tabwrite([tpl.header(spec.titles), ...items.map((i) => tpl.render(i))]);
}

/** `docker inspect`-style output: an indented JSON array, or one template rendering per object. */
export function renderInspect(objects: unknown[], format: string | undefined): string {
  if (!format) return JSON.stringify(objects, null, 4) + '\n';
  if (format === 'json') return objects.map((o) => JSON.stringify(o) + '\n').join('');
  const tpl = new Template(format);
  return objects.map((o) => tpl.render(o) + '\n').join('');
}
