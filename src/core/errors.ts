/**
 * The one error type of berth. Every failure that reaches a user (API response, CLI message,
 * registry error body) is a BerthError with a kind from a closed set; the kind decides the
 * HTTP status, the code is a stable machine-readable name, the message is written for users.
 */

export type ErrorKind =
  | 'invalid' // bad input from the caller: 400
  | 'unauthorized' // credentials missing or wrong: 401
  | 'forbidden' // authenticated but not allowed: 403
  | 'not-found' // the named object does not exist: 404
  | 'conflict' // the object exists / is in use / is in the wrong state: 409
  | 'range' // a byte range cannot be satisfied: 416
  | 'not-modified' // nothing to do (start a running container): 304
  | 'unavailable' // a dependency is down or the resource is exhausted: 503
  | 'not-implemented' // berth does not do this (yet): 501
  | 'internal'; // a bug or an unexpected system failure: 500

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  range: 416,
  'not-modified': 304,
  unavailable: 503,
  'not-implemented': 501,
  internal: 500,
};

export interface ErrorOptions {
  /** What the user can do about it; shown by the CLI under the message. */
  hint?: string;
  cause?: unknown;
  /** Extra structured detail (registry error bodies carry it as `detail`). */
  detail?: unknown;
}

export class BerthError extends Error {
  readonly kind: ErrorKind;
  /** Stable code such as ERR_IMAGE_NOT_FOUND; tests and clients match on it, never on the message. */
  readonly code: string;
  readonly hint?: string;
  readonly detail?: unknown;

  constructor(kind: ErrorKind, code: string, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BerthError';
    this.kind = kind;
    this.code = code.startsWith('ERR_') ? code : `ERR_${code}`;
    if (opts.hint !== undefined) this.hint = opts.hint;
    if (opts.detail !== undefined) this.detail = opts.detail;
  }

  get status(): number {
    return STATUS[this.kind];
  }
}

export function statusOf(kind: ErrorKind): number {
  return STATUS[kind];
}

export const invalid = (code: string, message: string, opts?: ErrorOptions) =>
  new BerthError('invalid', code, message, opts);
export const notFound = (code: string, message: string, opts?: ErrorOptions) =>
  new BerthError('not-found', code, message, opts);
export const conflict = (code: string, message: string, opts?: ErrorOptions) =>
  new BerthError('conflict', code, message, opts);
export const unavailable = (code: string, message: string, opts?: ErrorOptions) =>
  new BerthError('unavailable', code, message, opts);
export const internal = (code: string, message: string, opts?: ErrorOptions) =>
  new BerthError('internal', code, message, opts);
export const notImplemented = (code: string, message: string, opts?: ErrorOptions) =>
  new BerthError('not-implemented', code, message, opts);

export function isBerthError(e: unknown): e is BerthError {
  return e instanceof BerthError;
}

export function isKind(e: unknown, kind: ErrorKind): boolean {
  return e instanceof BerthError && e.kind === kind;
}

/** Node system errors carry a `code` such as ENOENT; this narrows to them. */
export function errnoCode(e: unknown): string | undefined {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    return (e as { code: string }).code;
  }
  return undefined;
}

/**
 * Turn any thrown value into a BerthError: BerthErrors pass through, a full disk becomes
 * "unavailable" with a hint, anything else is internal with the original message kept.
 */
export function toBerthError(e: unknown): BerthError {
  if (e instanceof BerthError) return e;
  const code = errnoCode(e);
  const message = e instanceof Error ? e.message : String(e);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new BerthError('unavailable', 'ERR_NO_SPACE', `no space left on device: ${message}`, {
      cause: e,
      hint: 'free space on the data-root filesystem and retry',
    });
  }
  return new BerthError('internal', 'ERR_INTERNAL', message, { cause: e });
}
