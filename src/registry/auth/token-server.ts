/**
 * `berth registry token-server`: Docker's token endpoint. Clients ask
 * `GET <realm>?service=...&scope=repository:NAME:pull,push[&scope=...]` (with Basic credentials,
 * or none for anonymous access), or POST the OAuth2 password grant, and get a JWT signed with the
 * server's key (RS256 or ES256, `kid` = the key's RFC 7638 thumbprint, `x5c` when a certificate is
 * configured, so distribution accepts the tokens too) whose `access` claim holds what the users
 * file grants: possibly less than asked, which is not an error.
 */
import { X509Certificate, createPrivateKey, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import type * as http from 'node:http';
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose';
import type { AccessScope, TokenServer } from '../contract.js';
import { baseUrl, createServer, listen, readBody } from '../httpserver.js';
import { parseBasic, PasswordChecker } from './credentials.js';
import { ReloadingFile } from './reloading.js';
import { formatScope, parseScopes } from './scope.js';
import { pemBlocks } from './token-verify.js';
import { grant, loadUsersFile, type UsersFile } from './users.js';

export interface TokenServerOptions {
  addr: string;
  /** PEM private key (RSA or EC P-256) the tokens are signed with. */
  keyFile: string;
  /** PEM certificate of that key, sent as `x5c` (needed by registries that trust certificates). */
  certFile?: string;
  issuer: string;
  service: string;
  usersFile: string;
  /** Anyone may pull every repository without credentials (added to the users file's rules). */
  anonymousPull?: boolean;
  expiresInSeconds?: number;
  tls?: { cert: string; key: string };
  /** Called once per request (the access log). */
  onRequest?: (entry: Record<string, unknown>) => void;
}

interface Signer {
  key: KeyObject;
  alg: 'RS256' | 'ES256';
  kid: string;
  x5c?: string[];
}

async function loadSigner(keyFile: string, certFile?: string): Promise<Signer> {
  const key = createPrivateKey(await fsp.readFile(keyFile));
  const alg = key.asymmetricKeyType === 'rsa' ? 'RS256' : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'ES256' : undefined;
  if (!alg) throw new Error(`${keyFile}: the signing key must be RSA or EC P-256`);
  const publicKey = createPublicKey(key);
  const signer: Signer = { key, alg, kid: await calculateJwkThumbprint(await exportJWK(publicKey)) };
  if (certFile) {
    const certs = pemBlocks(await fsp.readFile(certFile, 'utf8')).filter((b) => b.label === 'CERTIFICATE').map((b) => new X509Certificate(b.pem));
    if (certs.length === 0 || !certs[0].publicKey.equals(publicKey)) throw new Error(`${certFile}: the first certificate must be the signing key's`);
    signer.x5c = certs.map((c) => c.raw.toString('base64'));
  }
  return signer;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const signer = await loadSigner(opts.keyFile, opts.certFile);
  const users = new ReloadingFile<UsersFile>(opts.usersFile, loadUsersFile);
  const passwords = new PasswordChecker();
  const expiresIn = Math.max(opts.expiresInSeconds ?? 300, 60);

  async function issue(user: string | undefined, scopes: AccessScope[]): Promise<{ token: string; granted: AccessScope[] }> {
    const file = await users.get();
    const granted = grant(opts.anonymousPull ? { ...file, anonymousPull: true } : file, user, scopes);
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: signer.alg, typ: 'JWT', kid: signer.kid, ...(signer.x5c ? { x5c: signer.x5c } : {}) };
    const token = await new SignJWT({ access: granted })
      .setProtectedHeader(header)
      .setIssuer(opts.issuer)
      .setSubject(user ?? '')
      .setAudience(opts.service)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(signer.key);
    return { token, granted };
  }

  /** The user named by credentials; undefined for anonymous; null when the credentials are wrong. */
  async function who(user: string | undefined, password: string | undefined): Promise<string | undefined | null> {
    if (user === undefined) return undefined;
    const file = await users.get();
    return (await passwords.check(user, password ?? '', file.users[user])) ? user : null;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<Record<string, unknown>> {
    const url = new URL(req.url ?? '/', 'http://token');
    if (url.pathname !== '/token') {
      sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'the token endpoint is /token' }] });
      return {};
    }
    let params: URLSearchParams;
    let user: string | undefined;
    let password: string | undefined;
    if (req.method === 'POST') {
      // OAuth2 password grant (what the Docker engine uses with stored credentials).
      const body = await readBody(req, 64 << 10);
      params = new URLSearchParams(body?.toString('utf8') ?? '');
      if (params.get('grant_type') !== 'password') {
        sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'only the password grant is supported' });
        return {};
      }
      user = params.get('username') ?? undefined;
      password = params.get('password') ?? undefined;
    } else if (req.method === 'GET') {
      params = url.searchParams;
      const creds = parseBasic(req.headers.authorization);
      user = creds?.user;
      password = creds?.password;
    } else {
      sendJson(res, 405, { errors: [{ code: 'UNSUPPORTED', message: 'use GET or POST' }] });
      return {};
    }
    if (params.get('service') !== opts.service) {
      sendJson(res, 400, { errors: [{ code: 'INVALID_REQUEST', message: `unknown service "${params.get('service') ?? ''}"` }] });
      return {};
    }
    const account = await who(user, password);
    if (account === null) {
      sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid user name or password' }] }, { 'WWW-Authenticate': `Basic realm="${opts.service}"` });
      return { account: user, denied: true };
    }
    const requested = req.method === 'POST' ? parseScopes([params.get('scope') ?? '']) : parseScopes(params.getAll('scope'));
    const { token, granted } = await issue(account, requested);
    const issuedAt = new Date().toISOString();
    if (req.method === 'POST') {
      sendJson(res, 200, { access_token: token, scope: granted.map(formatScope).join(' '), expires_in: expiresIn, issued_at: issuedAt });
    } else {
      sendJson(res, 200, { token, access_token: token, expires_in: expiresIn, issued_at: issuedAt });
    }
    return { account: account ?? '', granted };
  }

  const server = await createServer((req, res) => {
    const started = Date.now();
    handle(req, res).then(
      (fields) => opts.onRequest?.({ time: new Date().toISOString(), method: req.method, uri: req.url, status: res.statusCode, durationMs: Date.now() - started, ...fields }),
      (e: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: e instanceof Error ? e.message : String(e) }] });
        else res.destroy();
      },
    );
  }, opts.tls);
  const port = await listen(server, opts.addr);
  return {
    url: baseUrl(opts.tls !== undefined, opts.addr, port),
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
