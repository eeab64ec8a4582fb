/** Manifest GET/HEAD (content negotiation), PUT (validation, tags, subject) and DELETE. */
import { digestOf, parseDigest, type Digest } from '../../core/digest.js';
import { type Ctx, send } from '../context.js';
import { regError, type OciErrorEntry } from '../errors.js';
import { readBody } from '../httpserver.js';
import { isNonDistributable, parseManifest, referrerDescriptor, type ParsedManifest } from '../manifest.js';
import { checkTag, parseManifestRef } from '../names.js';

/** Is a manifest of `mediaType` acceptable to a client that sent this Accept header? */
export function accepts(accept: string | undefined, mediaType: string): boolean {
  if (!accept) return true;
  return accept
    .split(',')
    .map((t) => t.split(';')[0].trim().toLowerCase())
    .some((t) => t === mediaType || t === '*/*' || t === 'application/*');
}

async function resolve(ctx: Ctx): Promise<Digest> {
  const ref = parseManifestRef(ctx.params[0]);
  if (ref.digest) return ref.digest;
  const digest = await ctx.core.storage.resolveTag(ctx.name, ref.tag);
  if (!digest) throw regError('MANIFEST_UNKNOWN', undefined, { detail: { Tag: ref.tag } });
  return digest;
}

export async function getManifest(ctx: Ctx): Promise<void> {
  const digest = await resolve(ctx);
  const m = await ctx.core.storage.getManifest(ctx.name, digest);
  if (!m) throw regError('MANIFEST_UNKNOWN', undefined, { detail: { Digest: digest } });
  if (!accepts(ctx.req.headers.accept, m.mediaType)) {
    // Converting would change the digest; like distribution, answer as if it were not there.
    throw regError('MANIFEST_UNKNOWN', `manifest is ${m.mediaType}, which the request's Accept header does not list`, { detail: { Digest: digest, mediaType: m.mediaType } });
  }
  const etag = `"${digest}"`;
  const headers = { 'Content-Type': m.mediaType, 'Docker-Content-Digest': digest, ETag: etag };
  if (ctx.req.headers['if-none-match'] === etag) return send(ctx, 304, headers);
  send(ctx, 200, headers, m.bytes);
}

/** Everything the manifest needs must be in this repository; one error entry per missing piece. */
async function checkReferences(ctx: Ctx, m: ParsedManifest): Promise<void> {
  const { storage } = ctx.core;
  const blobs = m.blobs.filter((b) => !isNonDistributable(b));
  // Touching is the presence check: it also keeps the blobs young for GC until the link exists.
  const [blobOk, childOk] = await Promise.all([
    Promise.all(blobs.map(async (b) => (await storage.statBlob(ctx.name, b.digest)) !== undefined && (await storage.touchBlob(b.digest)))),
    Promise.all(m.manifests.map(async (c) => (await storage.manifestLink(ctx.name, c.digest)) !== undefined && (await storage.touchBlob(c.digest)))),
  ]);
  const missing: OciErrorEntry[] = [
    ...blobs.filter((_, i) => !blobOk[i]).map((b) => ({ code: 'MANIFEST_BLOB_UNKNOWN' as const, message: 'blob unknown to registry', detail: b.digest })),
    ...m.manifests.filter((_, i) => !childOk[i]).map((c) => ({ code: 'MANIFEST_BLOB_UNKNOWN' as const, message: 'manifest unknown to registry', detail: c.digest })),
  ];
  if (missing.length > 0) throw regError('MANIFEST_BLOB_UNKNOWN', missing[0].message, { detail: missing[0].detail, more: missing.slice(1) });
}

export async function putManifest(ctx: Ctx): Promise<void> {
  const { storage, config } = ctx.core;
  const ref = parseManifestRef(ctx.params[0]);
  const tags = [...(ref.tag ? [ref.tag] : []), ...ctx.query.getAll('tag').map(checkTag)];
  const limit = config.maxManifestBytes;
  const tooLarge = () => regError('SIZE_INVALID', `manifest larger than ${limit} bytes`, { status: 413, detail: { limit } });
  if (Number(ctx.req.headers['content-length'] ?? 0) > limit) throw tooLarge();
  const bytes = await readBody(ctx.req, limit);
  if (!bytes) throw tooLarge();
  const m = parseManifest(bytes, ctx.req.headers['content-type']);
  const digest = ref.digest ? digestOf(bytes, parseDigest(ref.digest).algorithm) : digestOf(bytes);
  if (ref.digest && digest !== ref.digest) {
    throw regError('DIGEST_INVALID', `manifest digest ${digest} does not match ${ref.digest}`, { detail: { Digest: ref.digest } });
  }
  await checkReferences(ctx, m);
  const referrer = m.subject ? { subject: m.subject.digest, descriptor: referrerDescriptor(m, digest, bytes.length) } : undefined;
  await storage.putManifest(ctx.name, digest, m.mediaType, bytes, referrer);
  for (const tag of new Set(tags)) await storage.setTag(ctx.name, tag, digest);
  const headers: Record<string, string> = { Location: `/v2/${ctx.name}/manifests/${digest}`, 'Docker-Content-Digest': digest };
  if (m.subject) headers['OCI-Subject'] = m.subject.digest;
  if (ctx.query.has('tag')) headers['OCI-Tag'] = [...new Set(tags)].join(', ');
  send(ctx, 201, headers);
}

export async function deleteManifest(ctx: Ctx): Promise<void> {
  const { storage } = ctx.core;
  const ref = parseManifestRef(ctx.params[0]);
  if (ref.tag !== undefined) {
    if (!(await storage.deleteTag(ctx.name, ref.tag))) throw regError('MANIFEST_UNKNOWN', undefined, { detail: { Tag: ref.tag } });
    return send(ctx, 202, {});
  }
  const stored = await storage.getManifest(ctx.name, ref.digest);
  if (!stored) throw regError('MANIFEST_UNKNOWN', undefined, { detail: { Digest: ref.digest } });
  let subject: Digest | undefined;
  try {
    subject = parseManifest(stored.bytes, stored.mediaType).subject?.digest;
  } catch {
    subject = undefined;
  }
  await storage.deleteManifest(ctx.name, ref.digest, subject);
  send(ctx, 202, {});
}
