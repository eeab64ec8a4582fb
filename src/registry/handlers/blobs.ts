/** Blob GET/HEAD (with Range) and DELETE. */
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { errnoCode } from '../../core/errors.js';
import { type Ctx, send } from '../context.js';
import { errorBody, regError } from '../errors.js';
import { checkDigest } from '../names.js';
import { interpretRange } from '../range.js';
import { canSendfile, sendBody } from '../sendfile.js';

export async function getBlob(ctx: Ctx): Promise<void> {
  const { storage, config } = ctx.core;
  const digest = checkDigest(ctx.params[0]);
  const blob = await storage.statBlob(ctx.name, digest);
  const unknown = () => regError('BLOB_UNKNOWN', undefined, { detail: digest });
  if (!blob) throw unknown();
  // A HEAD that finds a blob is how a push decides not to upload it: keep it young for GC until
  // the manifest arrives. Touch first, then answer, so a GC sweep can never slip in between.
  if (ctx.method === 'HEAD' && Date.now() - blob.mtimeMs > config.gc.graceMs / 2 && !(await storage.touchBlob(digest))) throw unknown();

  const etag = `"${digest}"`;
  const common = {
    'Docker-Content-Digest': digest,
    ETag: etag,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'max-age=31536000',
  };
  if (ctx.req.headers['if-none-match'] === etag) return send(ctx, 304, common);

  const range = interpretRange(ctx.req.headers.range, blob.size);
  if (range.kind === 'unsatisfiable') {
    const err = regError('RANGE_INVALID', `requested range not satisfiable (blob has ${blob.size} bytes)`, { status: 416 });
    return send(ctx, 416, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Range': `bytes */${blob.size}`, ...common }, errorBody(err));
  }
  const status = range.kind === 'partial' ? 206 : 200;
  const headers: Record<string, string | number> = { 'Content-Type': 'application/octet-stream', ...common };
  if (range.kind === 'partial') {
    headers['Content-Range'] = `bytes ${range.range.start}-${range.range.end}/${blob.size}`;
    headers['Content-Length'] = range.range.end - range.range.start + 1;
  } else headers['Content-Length'] = blob.size;
  if (ctx.method === 'HEAD') {
    ctx.res.writeHead(status, headers);
    ctx.res.end();
    return;
  }
  // Open before answering, so a blob removed in between is still a clean 404.
  let fh: FileHandle;
  try {
    fh = await fsp.open(storage.content.path(digest), 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') throw unknown();
    throw e;
  }
  const start = range.kind === 'partial' ? range.range.start : 0;
  const length = Number(headers['Content-Length']);
  ctx.res.writeHead(status, headers);
  if (canSendfile(ctx.res, length)) {
    try {
      await sendBody(ctx.res, fh, start, length);
    } finally {
      await fh.close();
    }
    ctx.res.end();
    return;
  }
  // Large reads: 4 MiB per chunk roughly triples loopback throughput over Node's 64 KiB default.
  const stream = fh.createReadStream({ highWaterMark: 4 << 20, ...(range.kind === 'partial' ? range.range : {}) });
  await pipeline(stream, ctx.res);
}

export async function deleteBlob(ctx: Ctx): Promise<void> {
  const digest = checkDigest(ctx.params[0]);
  if (!(await ctx.core.storage.unlinkBlob(ctx.name, digest))) throw regError('BLOB_UNKNOWN', undefined, { detail: digest });
  send(ctx, 202, {});
}
