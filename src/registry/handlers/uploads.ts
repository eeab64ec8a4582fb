/**
 * Blob uploads: POST (new session, single-POST monolithic upload with ?digest=, cross-repository
 * mount), PATCH (ordered chunks with Content-Range, or a streamed body), GET (status), PUT
 * (completion, optionally with a final chunk) and DELETE (cancel).
 */
import { isDigestAlgorithm, parseDigest, type DigestAlgorithm } from '../../core/digest.js';
import { type Ctx, hasBody, send } from '../context.js';
import { RegistryError, regError } from '../errors.js';
import { checkDigest, checkName } from '../names.js';
import { parseContentRange } from '../range.js';
import { rangeHeader, uploadLocation, type UploadSession } from '../uploads.js';

/** Chunks smaller than this are accepted, but clients that honour the hint make fewer requests. */
export const CHUNK_MIN_LENGTH = 1 << 20;

function progressHeaders(session: UploadSession, size: number): Record<string, string> {
  return { Location: uploadLocation(session), Range: rangeHeader(size), 'Docker-Upload-UUID': session.id };
}

function blobCreated(ctx: Ctx, digest: string): void {
  send(ctx, 201, { Location: `/v2/${ctx.name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
}

/** Complete a session, link the blob into the repository and answer 201; counts the outcome. */
async function complete(ctx: Ctx, session: UploadSession, digestParam: string | null, withBody: boolean): Promise<void> {
  const { uploads, storage, metrics } = ctx.core;
  const digest = checkDigest(digestParam);
  let chunkRange;
  try {
    chunkRange = parseContentRange(ctx.req.headers['content-range']);
  } catch (e) {
    throw await withProgress(ctx, session.id, e);
  }
  try {
    const info = await uploads.finish(ctx.name, session.id, digest, withBody ? ctx.req : undefined, chunkRange);
    // Content that was there already is young again: this push relies on it.
    await storage.touchBlob(info.digest);
    await storage.linkBlob(ctx.name, info.digest);
  } catch (e) {
    metrics.uploads.inc({ outcome: 'failed' });
    throw await withProgress(ctx, session.id, e);
  }
  metrics.uploads.inc({ outcome: 'completed' });
  blobCreated(ctx, digest);
}

/** A 416 tells the client where the session stands, so it can resume. */
async function withProgress(ctx: Ctx, id: string, e: unknown): Promise<unknown> {
  if (!(e instanceof RegistryError) || e.httpStatus !== 416 || e.headers.Range) return e;
  const { session, size } = await ctx.core.uploads.get(ctx.name, id).catch(() => ({ session: undefined, size: 0 }));
  if (!session) return e;
  return regError('RANGE_INVALID', e.message, { status: 416, headers: progressHeaders(session, size), detail: e.detail });
}

export async function startUpload(ctx: Ctx): Promise<void> {
  const { uploads, storage, metrics } = ctx.core;
  const q = ctx.query;
  const mount = q.get('mount');
  const from = q.get('from');
  if (mount !== null && from !== null) {
    const digest = checkDigest(mount);
    checkName(from);
    if ((await storage.statBlob(from, digest)) && (await storage.touchBlob(digest))) {
      await storage.linkBlob(ctx.name, digest);
      metrics.uploads.inc({ outcome: 'mounted' });
      return blobCreated(ctx, digest);
    }
    // Not there (or not visible): fall back to a plain upload session, as the spec asks.
  }
  const digestParam = q.get('digest');
  const algorithmParam = q.get('digest-algorithm');
  let algorithm: DigestAlgorithm = 'sha256';
  if (digestParam !== null) algorithm = parseDigest(checkDigest(digestParam)).algorithm;
  else if (algorithmParam !== null) {
    if (!isDigestAlgorithm(algorithmParam)) throw regError('DIGEST_INVALID', `unsupported digest algorithm "${algorithmParam}"`, { detail: { algorithm: algorithmParam } });
    algorithm = algorithmParam;
  }
  const session = await uploads.create(ctx.name, algorithm);
  metrics.uploads.inc({ outcome: 'started' });
  if (digestParam !== null) {
    try {
      return await complete(ctx, session, digestParam, hasBody(ctx.req));
    } catch (e) {
      // The client never learnt this session's Location: keep nothing of it.
      await uploads.cancel(ctx.name, session.id).catch(() => {});
      throw e;
    }
  }
  const size = hasBody(ctx.req) ? await uploads.append(ctx.name, session.id, ctx.req) : 0;
  send(ctx, 202, { ...progressHeaders(session, size), 'OCI-Chunk-Min-Length': String(CHUNK_MIN_LENGTH) });
}

export async function uploadStatus(ctx: Ctx): Promise<void> {
  const { session, size } = await ctx.core.uploads.get(ctx.name, ctx.params[0]);
  send(ctx, 204, progressHeaders(session, size));
}

export async function patchUpload(ctx: Ctx): Promise<void> {
  const { uploads } = ctx.core;
  const id = ctx.params[0];
  const { session } = await uploads.get(ctx.name, id);
  let size: number;
  try {
    const range = parseContentRange(ctx.req.headers['content-range']);
    const length = ctx.req.headers['content-length'];
    if (range && length !== undefined && Number(length) !== range.end - range.start + 1) {
      throw regError('SIZE_INVALID', `Content-Length ${length} does not match Content-Range ${range.start}-${range.end}`);
    }
    size = await uploads.append(ctx.name, id, ctx.req, range);
  } catch (e) {
    throw await withProgress(ctx, id, e);
  }
  send(ctx, 202, progressHeaders(session, size));
}

export async function putUpload(ctx: Ctx): Promise<void> {
  const { session } = await ctx.core.uploads.get(ctx.name, ctx.params[0]);
  await complete(ctx, session, ctx.query.get('digest'), hasBody(ctx.req));
}

export async function cancelUpload(ctx: Ctx): Promise<void> {
  await ctx.core.uploads.cancel(ctx.name, ctx.params[0]);
  ctx.core.metrics.uploads.inc({ outcome: 'cancelled' });
  send(ctx, 204, {});
}
