/**
 * The token server's users file: bcrypt password hashes and access rules per repository.
 *
 *   {
 *     "users": { "alice": "$2y$05$..." },
 *     "access": [
 *       { "account": "alice", "repository": "team/**", "actions": ["pull", "push", "delete"] },
 *       { "account": "*", "repository": "**", "actions": ["pull"] },
 *       { "anonymous": true, "repository": "public/*", "actions": ["pull"] },
 *       { "account": "alice", "catalog": true }
 *     ],
 *     "anonymousPull": false
 *   }
 *
 * `account` "*" means any signed-in user; `anonymous` rules apply to everyone, with or without
 * credentials; in `repository`, `*` matches within one path component and `**` across them;
 * `catalog` grants `registry:catalog:*`; `anonymousPull: true` lets anyone pull every repository.
 */
import * as fsp from 'node:fs/promises';
import { z } from 'zod';
import type { AccessScope } from '../contract.js';

const RuleSchema = z
  .object({
    account: z.string().optional(),
    anonymous: z.boolean().optional(),
    repository: z.string().optional(),
    actions: z.array(z.enum(['pull', 'push', 'delete', '*'])).default([]),
    catalog: z.boolean().optional(),
  })
  .strict();

const UsersFileSchema = z
  .object({
    users: z.record(z.string(), z.string()).default({}),
    access: z.array(RuleSchema).default([]),
    anonymousPull: z.boolean().default(false),
  })
  .strict();

export type UsersFile = z.infer<typeof UsersFileSchema>;
type Rule = z.infer<typeof RuleSchema>;

export async function loadUsersFile(file: string): Promise<UsersFile> {
  const parsed = UsersFileSchema.safeParse(JSON.parse(await fsp.readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** Anonymous rules apply to everyone: signing in never gives less than staying anonymous. */
function ruleApplies(rule: Rule, user: string | undefined): boolean {
  if (rule.anonymous === true) return true;
  return user !== undefined && (rule.account === '*' || rule.account === user);
}

/**
 * What `user` (undefined: anonymous) may do of what was requested: each requested scope keeps
 * only the granted actions, and disappears when none is. Granting less than asked is not an error.
 */
export function grant(file: UsersFile, user: string | undefined, requested: AccessScope[]): AccessScope[] {
  const out: AccessScope[] = [];
  for (const scope of requested) {
    const allowed = new Set<string>();
    if (scope.type === 'registry') {
      if (scope.name === 'catalog' && file.access.some((r) => r.catalog === true && ruleApplies(r, user))) allowed.add('*');
    } else {
      if (file.anonymousPull) allowed.add('pull');
      for (const rule of file.access) {
        if (rule.repository === undefined || !ruleApplies(rule, user) || !globToRegExp(rule.repository).test(scope.name)) continue;
        for (const a of rule.actions) {
          if (a === '*') ['pull', 'push', 'delete'].forEach((x) => allowed.add(x));
          else allowed.add(a);
        }
      }
    }
    const actions = scope.actions.filter((a) => allowed.has(a) || (a === '*' && allowed.has('*')));
    if (actions.length > 0) out.push({ type: scope.type, name: scope.name, actions });
  }
  return out;
}
