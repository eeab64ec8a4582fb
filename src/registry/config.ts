/**
 * The registry's configuration: defaults, a JSON config file (`--config`), and command-line flags
 * over both. Auth is named on the command line as `none`, `htpasswd:FILE` or `token:FILE`, where
 * the token file is JSON: {"realm","service","issuer","rootCertBundle": "certs.pem" | [...]}.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { invalid } from '../core/errors.js';
import type { AuthConfig, RegistryConfig } from './contract.js';

export const DEFAULT_ROOT = '/var/lib/berth-registry';
const HOUR = 3_600_000;

export function defaultConfig(): RegistryConfig {
  return {
    addr: '127.0.0.1:5000',
    root: DEFAULT_ROOT,
    auth: { kind: 'none' },
    readOnly: false,
    deleteEnabled: true,
    gc: { intervalMs: 0, graceMs: HOUR, uploadGraceMs: 24 * HOUR },
    accessLog: '-',
    shutdownTimeoutMs: 30_000,
    maxManifestBytes: 4 << 20,
  };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: HOUR, d: 24 * HOUR };

/** `500ms`, `90s`, `5m`, `1h30m`, `7d`; a bare number is seconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) {
    throw invalid('ERR_DURATION_INVALID', `invalid duration "${text}"`, { hint: 'use a number of seconds or units: 500ms, 90s, 5m, 1h30m, 7d' });
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]], 0);
}

const TokenFileSchema = z
  .object({
    realm: z.string().url(),
    service: z.string().min(1),
    issuer: z.string().min(1),
    rootCertBundle: z.union([z.string(), z.array(z.string()).min(1)]),
  })
  .strict();

type TokenFile = z.infer<typeof TokenFileSchema>;

function tokenAuth(t: TokenFile, baseDir: string): AuthConfig {
  const files = Array.isArray(t.rootCertBundle) ? t.rootCertBundle : [t.rootCertBundle];
  return { kind: 'token', realm: t.realm, service: t.service, issuer: t.issuer, keyFiles: files.map((f) => path.resolve(baseDir, f)) };
}

async function readJson(file: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw invalid('ERR_CONFIG_INVALID', `cannot read the ${what} ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function check<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw invalid('ERR_CONFIG_INVALID', `${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** `none`, `htpasswd:FILE` or `token:FILE`. */
export async function parseAuthSpec(spec: string, baseDir = process.cwd()): Promise<AuthConfig> {
  if (spec === 'none') return { kind: 'none' };
  const i = spec.indexOf(':');
  const kind = i < 0 ? spec : spec.slice(0, i);
  const file = i < 0 ? '' : path.resolve(baseDir, spec.slice(i + 1));
  if (kind === 'htpasswd' && file) return { kind: 'htpasswd', file, realm: 'berth-registry' };
  if (kind === 'token' && file) return tokenAuth(check(TokenFileSchema, await readJson(file, 'token auth file'), file), path.dirname(file));
  throw invalid('ERR_AUTH_INVALID', `invalid --auth "${spec}"`, { hint: 'use none, htpasswd:FILE or token:FILE' });
}

const ConfigFileSchema = z
  .object({
    addr: z.string().optional(),
    root: z.string().optional(),
    tls: z.object({ cert: z.string(), key: z.string() }).strict().optional(),
    auth: z
      .union([
        z.string(),
        z.object({ htpasswd: z.object({ path: z.string(), realm: z.string().default('berth-registry') }).strict() }).strict(),
        z.object({ token: TokenFileSchema }).strict(),
      ])
      .optional(),
    readOnly: z.boolean().optional(),
    deleteEnabled: z.boolean().optional(),
    gc: z.object({ interval: z.string().optional(), grace: z.string().optional(), uploadGrace: z.string().optional() }).strict().optional(),
    accessLog: z.string().optional(),
    shutdownTimeout: z.string().optional(),
    maxManifestBytes: z.number().int().min(4 << 20).optional(),
  })
  .strict();

export interface ServeFlags {
  addr?: string;
  root?: string;
  config?: string;
  tlsCert?: string;
  tlsKey?: string;
  auth?: string;
  readOnly?: boolean;
  gcInterval?: string;
  gcGrace?: string;
  uploadGrace?: string;
  accessLog?: string;
  shutdownTimeout?: string;
}

/** Defaults, then the config file, then the flags. */
export async function resolveConfig(flags: ServeFlags): Promise<RegistryConfig> {
  const c = defaultConfig();
  if (flags.config) {
    const file = path.resolve(flags.config);
    const dir = path.dirname(file);
    const f = check(ConfigFileSchema, await readJson(file, 'config file'), file);
    if (f.addr) c.addr = f.addr;
    if (f.root) c.root = path.resolve(dir, f.root);
    if (f.tls) c.tls = { cert: path.resolve(dir, f.tls.cert), key: path.resolve(dir, f.tls.key) };
    if (typeof f.auth === 'string') c.auth = await parseAuthSpec(f.auth, dir);
    else if (f.auth && 'htpasswd' in f.auth) c.auth = { kind: 'htpasswd', file: path.resolve(dir, f.auth.htpasswd.path), realm: f.auth.htpasswd.realm };
    else if (f.auth && 'token' in f.auth) c.auth = tokenAuth(f.auth.token, dir);
    if (f.readOnly !== undefined) c.readOnly = f.readOnly;
    if (f.deleteEnabled !== undefined) c.deleteEnabled = f.deleteEnabled;
    if (f.gc?.interval) c.gc.intervalMs = parseDuration(f.gc.interval);
    if (f.gc?.grace) c.gc.graceMs = parseDuration(f.gc.grace);
    if (f.gc?.uploadGrace) c.gc.uploadGraceMs = parseDuration(f.gc.uploadGrace);
    if (f.accessLog) c.accessLog = f.accessLog === '-' || f.accessLog === 'off' ? f.accessLog : path.resolve(dir, f.accessLog);
    if (f.shutdownTimeout) c.shutdownTimeoutMs = parseDuration(f.shutdownTimeout);
    if (f.maxManifestBytes) c.maxManifestBytes = f.maxManifestBytes;
  }
  if (flags.addr) c.addr = flags.addr;
  if (flags.root) c.root = path.resolve(flags.root);
  if (flags.tlsCert || flags.tlsKey) {
    if (!flags.tlsCert || !flags.tlsKey) throw invalid('ERR_TLS_INVALID', '--tls-cert and --tls-key go together');
    c.tls = { cert: path.resolve(flags.tlsCert), key: path.resolve(flags.tlsKey) };
  }
  if (flags.auth) c.auth = await parseAuthSpec(flags.auth);
  if (flags.readOnly) c.readOnly = true;
  if (flags.gcInterval) c.gc.intervalMs = parseDuration(flags.gcInterval);
  if (flags.gcGrace) c.gc.graceMs = parseDuration(flags.gcGrace);
  if (flags.uploadGrace) c.gc.uploadGraceMs = parseDuration(flags.uploadGrace);
  if (flags.accessLog) c.accessLog = flags.accessLog;
  if (flags.shutdownTimeout) c.shutdownTimeoutMs = parseDuration(flags.shutdownTimeout);
  return c;
}
