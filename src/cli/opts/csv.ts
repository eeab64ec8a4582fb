/**
 * One record of Go's encoding/csv (used by --mount and --network): comma-separated fields,
 * double-quoted fields with "" escapes, and Go's error texts for bare or unterminated quotes.
 */
export function parseCsvRecord(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  const col = (n: number) => n + 1;
  while (true) {
    if (line[i] === '"') {
      let field = '';
      i++;
      while (true) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error(`parse error on line 1, column ${col(line.length)}: extraneous or missing " in quoted-field`);
        field += line.slice(i, q);
        i = q + 1;
        if (line[i] === '"') {
          field += '"';
          i++;
          continue;
        }
        if (i >= line.length || line[i] === ',') break;
        throw new Error(`parse error on line 1, column ${col(i)}: extraneous or missing " in quoted-field`);
      }
      fields.push(field);
    } else {
      const comma = line.indexOf(',', i);
      const field = comma < 0 ? line.slice(i) : line.slice(i, comma);
      const bare = field.indexOf('"');
      if (bare >= 0) throw new Error(`parse error on line 1, column ${col(i + bare)}: bare " in non-quoted field`);
      fields.push(field);
      i = comma < 0 ? line.length : comma;
    }
    if (i >= line.length) break;
    i++; // the comma
    if (i >= line.length) {
      fields.push('');
      break;
    }
  }
  return fields;
}
