/** Listings: the tags of a repository, the catalog, and the referrers of a manifest. */
import { MediaType } from '../../image/oci.js';
import { type Ctx, sendJson } from '../context.js';
import { regError } from '../errors.js';
import { checkDigest } from '../names.js';
import { byteOrder } from '../storage.js';

/** The most entries one page holds, asked for or not (a Link header then points at the rest). */
const MAX_PAGE = 10_000;

/** `n`/`last` pagination over a sorted list, with the `Link` to the next page when more remain. */
export function paginate(all: string[], query: URLSearchParams, path: string): { items: string[]; link?: string } {
  const nParam = query.get('n');
  const last = query.get('last');
  if (nParam !== null && !/^\d{1,9}$/.test(nParam)) {
    throw regError('PAGINATION_NUMBER_INVALID', `invalid page size n=${JSON.stringify(nParam.slice(0, 20))}`, { detail: { n: nParam } });
  }
  const rest = last === null ? all : all.filter((x) => byteOrder(x, last) > 0);
  const n = Math.min(nParam === null ? MAX_PAGE : Number(nParam), MAX_PAGE);
  const items = rest.slice(0, n);
  if (items.length === 0 || items.length >= rest.length) return { items };
  const next = new URLSearchParams({ n: String(n), last: items[items.length - 1] });
  return { items, link: `<${path}?${next.toString()}>; rel="next"` };
}

export async function listTags(ctx: Ctx): Promise<void> {
  const { storage } = ctx.core;
  if (!(await storage.repositoryExists(ctx.name))) throw regError('NAME_UNKNOWN', undefined, { detail: { name: ctx.name } });
  const { items, link } = paginate(await storage.tags(ctx.name), ctx.query, `/v2/${ctx.name}/tags/list`);
  sendJson(ctx, 200, { name: ctx.name, tags: items }, link ? { Link: link } : {});
}

export async function catalog(ctx: Ctx): Promise<void> {
  const { items, link } = paginate(await ctx.core.storage.repositories(), ctx.query, '/v2/_catalog');
  sendJson(ctx, 200, { repositories: items }, link ? { Link: link } : {});
}

export async function referrers(ctx: Ctx): Promise<void> {
  const subject = checkDigest(ctx.params[0]);
  let manifests = await ctx.core.storage.referrers(ctx.name, subject);
  const headers: Record<string, string> = { 'Content-Type': MediaType.OciIndex };
  const artifactType = ctx.query.get('artifactType');
  if (artifactType !== null) {
    manifests = manifests.filter((d) => d.artifactType === artifactType);
    headers['OCI-Filters-Applied'] = 'artifactType';
  }
  sendJson(ctx, 200, { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }, headers);
}
