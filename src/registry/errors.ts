/**
 * Registry errors: a BerthError that carries the OCI error code, the HTTP status the spec (or
 * distribution's error table) gives it, extra response headers (a challenge, a Range), and, for
 * manifests, several entries in one response body.
 */
import { BerthError, toBerthError, type ErrorKind } from '../core/errors.js';

export type OciCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'TAG_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID'
  | 'PAGINATION_NUMBER_INVALID'
  | 'UNAVAILABLE'
  | 'UNKNOWN';

const TABLE: Record<OciCode, { status: number; kind: ErrorKind; message: string }> = {
  BLOB_UNKNOWN: { status: 404, kind: 'not-found', message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, kind: 'invalid', message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, kind: 'not-found', message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, kind: 'invalid', message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, kind: 'invalid', message: 'blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, kind: 'invalid', message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, kind: 'not-found', message: 'manifest unknown' },
  NAME_INVALID: { status: 400, kind: 'invalid', message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, kind: 'not-found', message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, kind: 'invalid', message: 'provided length did not match content length' },
  TAG_INVALID: { status: 400, kind: 'invalid', message: 'manifest tag did not match URI' },
  UNAUTHORIZED: { status: 401, kind: 'unauthorized', message: 'authentication required' },
  DENIED: { status: 403, kind: 'forbidden', message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, kind: 'not-implemented', message: 'The operation is unsupported.' },
  TOOMANYREQUESTS: { status: 429, kind: 'unavailable', message: 'too many requests' },
  RANGE_INVALID: { status: 416, kind: 'range', message: 'invalid content range' },
  PAGINATION_NUMBER_INVALID: { status: 400, kind: 'invalid', message: 'invalid number of results requested' },
  UNAVAILABLE: { status: 503, kind: 'unavailable', message: 'service unavailable' },
  UNKNOWN: { status: 500, kind: 'internal', message: 'unknown error' },
};

export interface OciErrorEntry {
  code: OciCode;
  message: string;
  detail?: unknown;
}

export interface RegistryErrorOptions {
  detail?: unknown;
  /** Overrides the table's status (413 for an oversized manifest). */
  status?: number;
  headers?: Record<string, string>;
  /** Further entries for the same response (one MANIFEST_BLOB_UNKNOWN per missing blob). */
  more?: OciErrorEntry[];
  cause?: unknown;
}

export class RegistryError extends BerthError {
  readonly ociCode: OciCode;
  readonly httpStatus: number;
  readonly headers: Record<string, string>;
  readonly entries: OciErrorEntry[];

  constructor(code: OciCode, message?: string, opts: RegistryErrorOptions = {}) {
    const row = TABLE[code];
    const text = message ?? row.message;
    super(row.kind, `ERR_${code}`, text, { detail: opts.detail, cause: opts.cause });
    this.name = 'RegistryError';
    this.ociCode = code;
    this.httpStatus = opts.status ?? row.status;
    this.headers = opts.headers ?? {};
    const first: OciErrorEntry = { code, message: text };
    if (opts.detail !== undefined) first.detail = opts.detail;
    this.entries = [first, ...(opts.more ?? [])];
  }

  override get status(): number {
    return this.httpStatus;
  }
}

export function regError(code: OciCode, message?: string, opts?: RegistryErrorOptions): RegistryError {
  return new RegistryError(code, message, opts);
}

/** Codes other domains (the content store, digest parsing) throw, in registry terms. */
const FROM_BERTH_CODE: Record<string, OciCode> = {
  ERR_BLOB_UNKNOWN: 'BLOB_UNKNOWN',
  ERR_DIGEST_INVALID: 'DIGEST_INVALID',
  ERR_DIGEST_MISMATCH: 'DIGEST_INVALID',
  ERR_DIGEST_ALGORITHM: 'DIGEST_INVALID',
  ERR_SIZE_MISMATCH: 'SIZE_INVALID',
  ERR_NO_SPACE: 'UNAVAILABLE',
};

/** Any thrown value as a RegistryError, keeping the message of BerthErrors from other domains. */
export function asRegistryError(e: unknown): RegistryError {
  if (e instanceof RegistryError) return e;
  const be = toBerthError(e);
  const code = FROM_BERTH_CODE[be.code];
  if (code) return new RegistryError(code, be.message, { detail: be.detail, cause: be });
  if (be.kind === 'internal') return new RegistryError('UNKNOWN', 'internal server error', { cause: be });
  return new RegistryError('UNKNOWN', be.message, { status: be.status, cause: be });
}

/** The spec's JSON error body. */
export function errorBody(err: RegistryError): string {
  return JSON.stringify({ errors: err.entries.map((x) => ({ code: x.code, message: x.message, detail: x.detail ?? null })) });
}
