/**
 * Image references, parsed and normalised as Docker does (distribution/reference):
 * `busybox` is `docker.io/library/busybox:latest`, `host:port/repo:tag`, `repo@sha256:...`.
 */
import { isDigest, type Digest } from '../core/digest.js';
import { invalid } from '../core/errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

/** A repository path as the OCI distribution spec defines `<name>` (without a domain). */
export const REPOSITORY_PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
export const TAG_RE = new RegExp(`^${TAG}$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const REFERENCE_RE = new RegExp(`^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_ID_RE = /^[a-f0-9]{64}$/;
const NAME_TOTAL_LENGTH_MAX = 255;

export interface Reference {
  /** Registry host, e.g. `docker.io` or `127.0.0.1:5000`. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  path: string;
  tag?: string;
  digest?: Digest;
}

const INVALID = 'invalid reference format';

function refError(message: string): Error {
  return invalid('ERR_REFERENCE_INVALID', message);
}

function splitDomain(name: string): { domain: string; path: string } {
  const i = name.indexOf('/');
  let domain: string;
  let rest: string;
  if (i === -1 || (!/[.:]/.test(name.slice(0, i)) && name.slice(0, i) !== 'localhost' && name.slice(0, i).toLowerCase() === name.slice(0, i))) {
    domain = DEFAULT_DOMAIN;
    rest = name;
  } else {
    domain = name.slice(0, i);
    rest = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !rest.includes('/')) rest = OFFICIAL_REPO_PREFIX + rest;
  return { domain, path: rest };
}

/**
 * Parse a user-typed reference the way the docker CLI and dockerd do. Throws an `invalid` error
 * with Docker's wording ("invalid reference format: repository name (library/Busybox) must be lowercase").
 */
export function parseReference(input: string): Reference {
  if (ANCHORED_ID_RE.test(input)) {
    throw refError(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  if (input.length === 0) throw refError(`${INVALID}: repository name must have at least one component`);
  // Split off tag and digest first so the lowercase check names only the repository.
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
  }
  const { domain, path } = splitDomain(rest);
  if (path.toLowerCase() !== path && REFERENCE_RE.test(`${domain}/${path.toLowerCase()}`)) {
    throw refError(`${INVALID}: repository name (${path}) must be lowercase`);
  }
  const whole = `${domain}/${path}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  if (!REFERENCE_RE.test(whole) || !DOMAIN_RE.test(domain)) throw refError(INVALID);
  if (`${domain}/${path}`.length > NAME_TOTAL_LENGTH_MAX) {
    throw refError(`${INVALID}: repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  if (digest !== undefined && !isDigest(digest)) throw refError(`${INVALID}: invalid digest ${digest}`);
  const ref: Reference = { domain, path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest as Digest;
  return ref;
}

/** The same, with `latest` added when neither tag nor digest is given (TagNameOnly). */
export function parseReferenceWithDefaultTag(input: string): Reference {
  const ref = parseReference(input);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/** `docker.io/library/busybox` */
export function repositoryName(ref: Pick<Reference, 'domain' | 'path'>): string {
  return `${ref.domain}/${ref.path}`;
}

/** `busybox`, `foo/bar`, `127.0.0.1:5000/x` (docker.io and library/ dropped). */
export function familiarRepository(ref: Pick<Reference, 'domain' | 'path'>): string {
  if (ref.domain !== DEFAULT_DOMAIN) return `${ref.domain}/${ref.path}`;
  return ref.path.startsWith(OFFICIAL_REPO_PREFIX) ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : ref.path;
}

/** Full normalised string: `docker.io/library/busybox:latest` or `...@sha256:...`. */
export function formatReference(ref: Reference): string {
  let s = repositoryName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Familiar string as `docker images` shows it: `busybox:latest`. */
export function familiarReference(ref: Reference): string {
  let s = familiarRepository(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Validate a tag alone (for `POST /images/{name}/tag?tag=`). */
export function checkTag(tag: string): void {
  if (!TAG_RE.test(tag)) throw refError(`${INVALID}: invalid tag format "${tag}"`);
}
