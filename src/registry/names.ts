/**
 * Validation of what arrives in URLs: repository names, tags, digests. Every failure is a 4xx
 * with the spec's code, so malformed input never reaches the filesystem (no traversal: a name
 * component cannot be empty, `.` or `..`, nor start with `_`, which the storage layout uses).
 */
import { isDigest, type Digest } from '../core/digest.js';
import { REPOSITORY_PATH_RE, TAG_RE } from '../image/reference.js';
import { regError } from './errors.js';

const NAME_MAX = 255;

export function checkName(name: string): string {
  if (name.length > NAME_MAX || !REPOSITORY_PATH_RE.test(name)) {
    throw regError('NAME_INVALID', `invalid repository name: ${JSON.stringify(name.slice(0, 300))}`, { detail: { name } });
  }
  return name;
}

export function isTag(value: string): boolean {
  return TAG_RE.test(value);
}

export function checkTag(tag: string): string {
  if (!TAG_RE.test(tag)) throw regError('TAG_INVALID', `invalid tag: ${JSON.stringify(tag.slice(0, 200))}`, { detail: { tag } });
  return tag;
}

/** A digest from a URL or query; DIGEST_INVALID (400) when malformed or of an unsupported algorithm. */
export function checkDigest(value: string | null | undefined): Digest {
  if (value && isDigest(value)) return value;
  throw regError('DIGEST_INVALID', `invalid digest: ${JSON.stringify((value ?? '').slice(0, 200))}`, { detail: { digest: value ?? null } });
}

/** A manifest reference is a digest when it has a colon, otherwise a tag. */
export type ManifestRef = { digest: Digest; tag?: undefined } | { tag: string; digest?: undefined };

export function parseManifestRef(ref: string): ManifestRef {
  if (ref.includes(':')) return { digest: checkDigest(ref) };
  return { tag: checkTag(ref) };
}
