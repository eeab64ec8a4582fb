/**
 * Content digests (`algorithm:hex`) as the OCI image spec defines them. sha256 is the default,
 * sha512 is accepted everywhere a digest is.
 */
import { createHash, type Hash } from 'node:crypto';
import { invalid } from './errors.js';

export type DigestAlgorithm = 'sha256' | 'sha512';
/** A validated digest string such as `sha256:<64 hex>`. */
export type Digest = `${DigestAlgorithm}:${string}`;

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_RE = /^(sha256|sha512):([a-f0-9]+)$/;

export function isDigest(value: string): value is Digest {
  const m = DIGEST_RE.exec(value);
  return m !== null && m[2].length === HEX_LENGTH[m[1] as DigestAlgorithm];
}

/** Validate a digest string; throws an `invalid` error naming the bad value. */
export function parseDigest(value: string): { algorithm: DigestAlgorithm; hex: string; digest: Digest } {
  const m = DIGEST_RE.exec(value);
  if (!m || m[2].length !== HEX_LENGTH[m[1] as DigestAlgorithm]) {
    throw invalid('ERR_DIGEST_INVALID', `invalid digest: "${value}"`, {
      hint: 'a digest is sha256:<64 lowercase hex digits> or sha512:<128 lowercase hex digits>',
    });
  }
  return { algorithm: m[1] as DigestAlgorithm, hex: m[2], digest: value as Digest };
}

export function isDigestAlgorithm(value: string): value is DigestAlgorithm {
  return value === 'sha256' || value === 'sha512';
}

export function digestOf(data: string | Uint8Array, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** An incremental hasher that yields a Digest. */
export class Digester {
  private readonly hash: Hash;
  private bytes = 0;
  constructor(readonly algorithm: DigestAlgorithm = 'sha256') {
    this.hash = createHash(algorithm);
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }
  get size(): number {
    return this.bytes;
  }
  digest(): Digest {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
}

export function hexOf(digest: Digest | string): string {
  const i = digest.indexOf(':');
  return i < 0 ? digest : digest.slice(i + 1);
}

/** Docker's 12-character short form of an ID or digest. */
export function shortId(digestOrId: string): string {
  return hexOf(digestOrId).slice(0, 12);
}
