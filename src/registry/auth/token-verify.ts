/**
 * Docker token authentication on the registry side: every request needs `Authorization: Bearer
 * <JWT>` signed (RS256 or ES256) by a trusted token server, for this service, unexpired, whose
 * `access` claim covers what the request does. Otherwise 401 with the challenge distribution
 * sends, `error="invalid_token"` for a bad token and `error="insufficient_scope"` for a token that
 * lacks an action.
 *
 * Trust: PEM files holding certificates and/or public keys. A token naming its key with `x5c`
 * must carry a certificate that is one of the trusted ones or issued by one; with `kid`, the RFC
 * 7638 thumbprint of a trusted key; with neither, any trusted key may verify it.
 */
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, jwtVerify, type JWTPayload } from 'jose';
import type { AccessScope, AuthConfig, Principal } from '../contract.js';
import { regError } from '../errors.js';
import type { Authenticator } from './authenticator.js';
import { accessDetail, bearerChallenge, covers } from './scope.js';

type TokenConfig = Extract<AuthConfig, { kind: 'token' }>;

const ALGORITHMS = ['RS256', 'ES256', 'RS384', 'RS512', 'ES384', 'ES512'];
const CLOCK_SKEW_S = 30;
const MAX_CACHED = 5000;

interface TrustedKey {
  key: KeyObject;
  kid: string;
  cert?: X509Certificate;
}

export function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g)].map((m) => ({ label: m[1], pem: m[0] }));
}

async function loadTrust(files: string[]): Promise<TrustedKey[]> {
  const keys: TrustedKey[] = [];
  for (const file of files) {
    for (const { label, pem } of pemBlocks(await fsp.readFile(file, 'utf8'))) {
      let key: KeyObject;
      let cert: X509Certificate | undefined;
      if (label === 'CERTIFICATE') {
        cert = new X509Certificate(pem);
        key = cert.publicKey;
      } else if (label === 'PUBLIC KEY') {
        key = createPublicKey(pem);
      } else continue;
      keys.push({ key, cert, kid: await calculateJwkThumbprint(await exportJWK(key)) });
    }
  }
  if (keys.length === 0) throw new Error(`no certificate or public key found in ${files.join(', ')}`);
  return keys;
}

interface AccessClaim {
  type?: unknown;
  name?: unknown;
  actions?: unknown;
}

function grantedScopes(payload: JWTPayload): AccessScope[] {
  const access = (payload as { access?: unknown }).access;
  if (!Array.isArray(access)) return [];
  return (access as AccessClaim[]).flatMap((a) =>
    (a.type === 'repository' || a.type === 'registry') && typeof a.name === 'string' && Array.isArray(a.actions)
      ? [{ type: a.type, name: a.name, actions: a.actions.filter((x): x is string => typeof x === 'string') }]
      : [],
  );
}

export class TokenAuthenticator implements Authenticator {
  /** Verified tokens until they expire: verifying a signature per request would cost more than the request. */
  private readonly verified = new Map<string, { payload: JWTPayload; granted: AccessScope[] }>();

  private constructor(
    private readonly config: TokenConfig,
    private readonly trust: TrustedKey[],
  ) {}

  static async create(config: TokenConfig): Promise<TokenAuthenticator> {
    return new TokenAuthenticator(config, await loadTrust(config.keyFiles));
  }

  private challenge(needed: AccessScope[], error?: string, message?: string) {
    return regError('UNAUTHORIZED', message, {
      detail: needed.length > 0 ? accessDetail(needed) : null,
      headers: { 'WWW-Authenticate': bearerChallenge(this.config.realm, this.config.service, needed, error) },
    });
  }

  async authenticate(authorization: string | undefined, needed: AccessScope[]): Promise<Principal> {
    const m = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!m) throw this.challenge(needed);
    let entry = this.verified.get(m[1]);
    if (entry && (entry.payload.exp ?? 0) * 1000 < Date.now() - CLOCK_SKEW_S * 1000) {
      this.verified.delete(m[1]);
      entry = undefined;
    }
    if (!entry) {
      let payload: JWTPayload;
      try {
        payload = await this.verify(m[1]);
      } catch (e) {
        throw this.challenge(needed, 'invalid_token', `invalid token: ${e instanceof Error ? e.message : String(e)}`);
      }
      entry = { payload, granted: grantedScopes(payload) };
      if (this.verified.size >= MAX_CACHED) this.verified.clear();
      this.verified.set(m[1], entry);
    }
    if (!covers(entry.granted, needed)) throw this.challenge(needed, 'insufficient_scope', 'insufficient scope');
    return { user: typeof entry.payload.sub === 'string' ? entry.payload.sub : '' };
  }

  private async verify(token: string): Promise<JWTPayload> {
    const header = decodeProtectedHeader(token);
    const options = { issuer: this.config.issuer, audience: this.config.service, algorithms: ALGORITHMS, clockTolerance: CLOCK_SKEW_S };
    let candidates: KeyObject[];
    if (Array.isArray(header.x5c) && header.x5c.length > 0) {
      candidates = [this.trustedLeaf(header.x5c[0])];
    } else if (typeof header.kid === 'string' && this.trust.some((t) => t.kid === header.kid)) {
      candidates = this.trust.filter((t) => t.kid === header.kid).map((t) => t.key);
    } else {
      candidates = this.trust.map((t) => t.key);
    }
    let lastError: unknown = new Error('no trusted key');
    for (const key of candidates) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (e) {
        lastError = e;
      }
    }
    throw lastError;
  }

  /** The key of an x5c leaf certificate, when that certificate is trusted or issued by a trusted one. */
  private trustedLeaf(x5c: string): KeyObject {
    const leaf = new X509Certificate(Buffer.from(x5c, 'base64'));
    const now = Date.now();
    if (Date.parse(leaf.validFrom) > now || Date.parse(leaf.validTo) < now) throw new Error('the token certificate is not valid now');
    for (const t of this.trust) {
      if (!t.cert) continue;
      if (t.cert.raw.equals(leaf.raw) || (leaf.checkIssued(t.cert) && leaf.verify(t.cert.publicKey))) return leaf.publicKey;
    }
    throw new Error('the token certificate is not trusted');
  }
}
