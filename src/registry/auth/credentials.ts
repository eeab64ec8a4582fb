/**
 * User name and password checks against bcrypt hashes (htpasswd files, the token server's users
 * file), and the Basic authorization header. bcrypt is slow on purpose, so a successful check is
 * remembered (keyed by a hash of the credentials, never the password itself) for a while.
 */
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';

const REMEMBER_MS = 5 * 60_000;
const MAX_REMEMBERED = 10_000;

export interface BasicCredentials {
  user: string;
  password: string;
}

export function parseBasic(header: string | undefined): BasicCredentials | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i <= 0) return undefined;
  return { user: text.slice(0, i), password: text.slice(i + 1) };
}

export function isBcryptHash(hash: string): boolean {
  return /^\$2[abyx]?\$\d\d\$/.test(hash);
}

export class PasswordChecker {
  private readonly good = new Map<string, number>();

  /** True when `password` matches the bcrypt `hash` (any other hash format never matches). */
  async check(user: string, password: string, hash: string | undefined): Promise<boolean> {
    if (hash === undefined || !isBcryptHash(hash)) return false;
    const key = createHash('sha256').update(`${user}\0${password}\0${hash}`).digest('hex');
    const until = this.good.get(key);
    if (until !== undefined && until > Date.now()) return true;
    if (!(await bcrypt.compare(password, hash))) return false;
    if (this.good.size >= MAX_REMEMBERED) this.good.clear();
    this.good.set(key, Date.now() + REMEMBER_MS);
    return true;
  }
}
