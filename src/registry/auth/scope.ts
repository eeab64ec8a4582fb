/**
 * Docker token-auth scopes (`repository:test/img:pull,push`, `registry:catalog:*`): formatting
 * them for challenges, parsing them in the token server, and checking a grant against a need.
 */
import type { AccessScope } from '../contract.js';

export function formatScope(s: AccessScope): string {
  return `${s.type}:${s.name}:${s.actions.join(',')}`;
}

/**
 * Parse one resource scope. The name may itself hold ':' (host:port), so the type ends at the
 * first ':' and the actions start after the last. `repository(plugin):x:pull` keeps its type.
 */
export function parseScope(text: string): AccessScope | undefined {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = text.slice(0, first).replace(/\(.*\)$/, '');
  if (type !== 'repository' && type !== 'registry') return undefined;
  const name = text.slice(first + 1, last);
  const actions = text
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  if (name === '' || actions.length === 0) return undefined;
  return { type, name, actions };
}

/** Every scope of a space-separated list (and of repeated `scope=` parameters). */
export function parseScopes(values: string[]): AccessScope[] {
  return values.flatMap((v) => v.split(' ')).flatMap((s) => parseScope(s) ?? []);
}

/** Does `granted` cover every action of every `needed` scope? */
export function covers(granted: AccessScope[], needed: AccessScope[]): boolean {
  return needed.every((n) =>
    n.actions.every((a) => granted.some((g) => g.type === n.type && g.name === n.name && (g.actions.includes(a) || g.actions.includes('*')))),
  );
}

/** `Bearer realm="...",service="...",scope="..."[,error="..."]` exactly as distribution sends it. */
export function bearerChallenge(realm: string, service: string, needed: AccessScope[], error?: string): string {
  let c = `Bearer realm="${realm}",service="${service}"`;
  if (needed.length > 0) c += `,scope="${needed.map(formatScope).join(' ')}"`;
  if (error) c += `,error="${error}"`;
  return c;
}

/** distribution's UNAUTHORIZED detail: one entry per needed action. */
export function accessDetail(needed: AccessScope[]): { Type: string; Class: string; Name: string; Action: string }[] {
  return needed.flatMap((s) => s.actions.map((a) => ({ Type: s.type, Class: '', Name: s.name, Action: a })));
}
