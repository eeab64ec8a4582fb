/** Docker's label filters: `key` matches when the label is present, `key=value` when it has that value. */
export function labelMatches(labels: Record<string, string> | null | undefined, filter: string): boolean {
  const l = labels ?? {};
  const i = filter.indexOf('=');
  return i < 0 ? filter in l : l[filter.slice(0, i)] === filter.slice(i + 1);
}
