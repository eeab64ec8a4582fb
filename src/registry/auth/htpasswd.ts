/**
 * Basic authentication against an htpasswd file of bcrypt entries (`htpasswd -B`), as
 * distribution's htpasswd auth does: a valid user may do everything, anyone else gets the
 * `Basic realm="..."` challenge. The file is re-read when it changes.
 */
import * as fsp from 'node:fs/promises';
import type { AccessScope, Principal } from '../contract.js';
import { regError } from '../errors.js';
import { accessDetail } from './scope.js';
import { parseBasic, PasswordChecker } from './credentials.js';
import type { Authenticator } from './authenticator.js';
import { ReloadingFile } from './reloading.js';

/** `user:hash` lines; comments and blank lines skipped. */
export function parseHtpasswd(text: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) users.set(line.slice(0, i), line.slice(i + 1));
  }
  return users;
}

export class HtpasswdAuthenticator implements Authenticator {
  private readonly users: ReloadingFile<Map<string, string>>;
  private readonly passwords = new PasswordChecker();

  constructor(
    file: string,
    private readonly realm: string,
  ) {
    this.users = new ReloadingFile(file, async (f) => parseHtpasswd(await fsp.readFile(f, 'utf8')));
  }

  async authenticate(authorization: string | undefined, needed: AccessScope[]): Promise<Principal> {
    const users = await this.users.get();
    const creds = parseBasic(authorization);
    if (creds && (await this.passwords.check(creds.user, creds.password, users.get(creds.user)))) return { user: creds.user };
    throw regError('UNAUTHORIZED', undefined, {
      detail: needed.length > 0 ? accessDetail(needed) : null,
      headers: { 'WWW-Authenticate': `Basic realm="${this.realm}"` },
    });
  }
}
