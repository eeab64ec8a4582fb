/**
 * A small structural checker for JSON read at start-up (daemon.json, seccomp profiles). berthd
 * stays resident, and a schema library costs it ~14 MB of memory for what these few shapes need.
 * `problem()` returns the first mismatch with its path ("syscalls[3].action: expected a string").
 */

export type Shape =
  | 'string'
  | 'number'
  | 'int'
  | 'boolean'
  | { array: Shape }
  | { record: Shape }
  | { object: Record<string, Field>; strict?: boolean };

/** A field of an object shape: required unless `optional`; `null` accepted when `nullable`. */
export interface Field {
  shape: Shape;
  optional?: boolean;
  nullable?: boolean;
}

export const opt = (shape: Shape): Field => ({ shape, optional: true });
export const nullish = (shape: Shape): Field => ({ shape, optional: true, nullable: true });
export const req = (shape: Shape): Field => ({ shape });

function at(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

export function problem(value: unknown, shape: Shape, path = ''): string | undefined {
  const where = path ? `${path}: ` : '';
  if (shape === 'string') return typeof value === 'string' ? undefined : `${where}expected a string`;
  if (shape === 'boolean') return typeof value === 'boolean' ? undefined : `${where}expected true or false`;
  if (shape === 'number') return typeof value === 'number' && Number.isFinite(value) ? undefined : `${where}expected a number`;
  if (shape === 'int') return Number.isInteger(value) ? undefined : `${where}expected an integer`;
  if ('array' in shape) {
    if (!Array.isArray(value)) return `${where}expected a list`;
    for (let i = 0; i < value.length; i++) {
      const p = problem(value[i], shape.array, at(path, i));
      if (p) return p;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${where}expected an object`;
  const obj = value as Record<string, unknown>;
  if ('record' in shape) {
    for (const [k, v] of Object.entries(obj)) {
      const p = problem(v, shape.record, at(path, k));
      if (p) return p;
    }
    return undefined;
  }
  for (const [k, field] of Object.entries(shape.object)) {
    const v = obj[k];
    if (v === undefined) {
      if (!field.optional) return `${at(path, k)}: required`;
      continue;
    }
    if (v === null && field.nullable) continue;
    const p = problem(v, field.shape, at(path, k));
    if (p) return p;
  }
  if (shape.strict) {
    const unknown = Object.keys(obj).filter((k) => !(k in shape.object));
    if (unknown.length) return `${where}unknown keys: ${unknown.join(', ')}`;
  }
  return undefined;
}
