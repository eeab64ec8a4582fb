/**
 * Manifest validation for pushes: well-formed JSON of a known media type, descriptors that are
 * descriptors, and what the manifest references (blobs, child manifests, subject) for the
 * presence check, the referrers index and GC's mark phase.
 */
import { isDigest, type Digest } from '../core/digest.js';
import { MediaType, INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, type Descriptor } from '../image/oci.js';
import { regError } from './errors.js';

export const MANIFEST_TYPES: readonly string[] = [...MANIFEST_MEDIA_TYPES, ...INDEX_MEDIA_TYPES];

export interface ParsedManifest {
  mediaType: string;
  kind: 'manifest' | 'index';
  /** Config and layers of an image manifest. */
  blobs: Descriptor[];
  /** Children of an index. */
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Media type without parameters, lower-cased; undefined when absent or generic. */
function bareMediaType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const t = contentType.split(';')[0].trim().toLowerCase();
  return t === '' || t === 'application/json' || t === 'application/octet-stream' ? undefined : t;
}

function invalidManifest(reason: string): Error {
  return regError('MANIFEST_INVALID', `manifest invalid: ${reason}`, { detail: { reason } });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isRecord(v)) throw invalidManifest(`${where} is not a descriptor`);
  if (typeof v.mediaType !== 'string' || v.mediaType === '') throw invalidManifest(`${where} has no mediaType`);
  if (typeof v.digest !== 'string' || !isDigest(v.digest)) throw invalidManifest(`${where} has an invalid digest`);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) throw invalidManifest(`${where} has an invalid size`);
  if (v.urls !== undefined && !(Array.isArray(v.urls) && v.urls.every((u) => typeof u === 'string'))) throw invalidManifest(`${where} has invalid urls`);
  return v as unknown as Descriptor;
}

function stringMap(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isRecord(v) || !Object.values(v).every((x) => typeof x === 'string')) throw invalidManifest(`${where} must map strings to strings`);
  return v as Record<string, string>;
}

/** Parse and check a pushed manifest. `contentType` is the request's Content-Type. */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalidManifest('not valid JSON');
  }
  if (!isRecord(doc)) throw invalidManifest('not a JSON object');
  if (doc.schemaVersion !== 2) throw invalidManifest('schemaVersion must be 2 (schema1 manifests are not accepted)');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const sent = bareMediaType(contentType);
  if (sent && declared && sent !== declared) throw invalidManifest(`Content-Type ${sent} does not match the mediaType field ${declared}`);
  let mediaType = sent ?? declared;
  if (!mediaType) mediaType = Array.isArray(doc.manifests) ? MediaType.OciIndex : MediaType.OciManifest;
  if (!MANIFEST_TYPES.includes(mediaType)) throw invalidManifest(`unsupported manifest media type ${mediaType}`);

  const parsed: ParsedManifest = { mediaType, kind: 'manifest', blobs: [], manifests: [] };
  if (INDEX_MEDIA_TYPES.includes(mediaType)) {
    parsed.kind = 'index';
    if (!Array.isArray(doc.manifests)) throw invalidManifest('an index needs a manifests array');
    parsed.manifests = doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`));
  } else {
    parsed.blobs.push(descriptor(doc.config, 'config'));
    if (!Array.isArray(doc.layers)) throw invalidManifest('a manifest needs a layers array');
    parsed.blobs.push(...doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)));
  }
  if (doc.subject !== undefined) parsed.subject = descriptor(doc.subject, 'subject');
  if (doc.artifactType !== undefined) {
    if (typeof doc.artifactType !== 'string') throw invalidManifest('artifactType must be a string');
    parsed.artifactType = doc.artifactType;
  }
  parsed.annotations = stringMap(doc.annotations, 'annotations');
  return parsed;
}

/** Layers that are never pushed (foreign / non-distributable, or fetched from `urls`). */
export function isNonDistributable(d: Descriptor): boolean {
  return d.mediaType.includes('nondistributable') || d.mediaType === MediaType.DockerForeignLayer || (d.urls?.length ?? 0) > 0;
}

/** The referrers API's descriptor for a manifest with a subject. */
export function referrerDescriptor(m: ParsedManifest, digest: Digest, size: number): Descriptor {
  const d: Descriptor = { mediaType: m.mediaType, digest, size };
  const artifactType = m.artifactType ?? (m.kind === 'manifest' ? m.blobs[0]?.mediaType : undefined);
  if (artifactType) d.artifactType = artifactType;
  if (m.annotations && Object.keys(m.annotations).length > 0) d.annotations = m.annotations;
  return d;
}

/** Digests a stored manifest keeps alive (GC mark): its blobs and child manifests, never its subject. */
export function referencedDigests(bytes: Buffer): Digest[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return [];
  }
  if (!isRecord(doc)) return [];
  const out: Digest[] = [];
  const add = (v: unknown) => {
    if (isRecord(v) && typeof v.digest === 'string' && isDigest(v.digest)) out.push(v.digest);
  };
  add(doc.config);
  for (const list of [doc.layers, doc.manifests]) if (Array.isArray(list)) list.forEach(add);
  return out;
}
