/** Image endpoints of the Engine API v1.41. */
import { invalid, isKind, notFound, notImplemented } from '../../core/errors.js';
import { labelMatches } from '../../core/labels.js';
import type { ImageDetails } from '../../image/contract.js';
import { applyChanges } from '../../image/changes.js';
import { familiarReference, parseReference, type Reference } from '../../image/reference.js';
import type { ImageService } from '../../image/service.js';
import type { ApiRequest, ApiResponse, Route } from '../contract.js';
import { MessageStream } from '../progress.js';
import { boolParam, checkFilterKeys, filtersParam, parseTimeNs, type Filters } from '../query.js';
import { imageHistory, imageInspect, imageSummary } from '../views/image.js';

export interface ImageRoutesDeps {
  images: ImageService;
  graphDriver(d: ImageDetails): { name: string; data: Record<string, string> };
}

/** Docker's reference filter: a glob on a reference's familiar form, with or without its tag. */
function referenceMatcher(pattern: string): (ref: Reference) => boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*') +
      '$',
  );
  return (r) => {
    const familiar = familiarReference(r);
    const name = familiar.replace(/@.*$/, '').replace(/:[^:/]+$/, '');
    return re.test(familiar) || re.test(name);
  };
}

async function listImages(deps: ImageRoutesDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const all = boolParam(req.query, 'all');
  const filters: Filters = filtersParam(req.query);
  checkFilterKeys(filters, ['dangling', 'label', 'before', 'since', 'reference', 'until']);
  let list = await deps.images.list();
  const dangling = filters.get('dangling');
  if (dangling) {
    const want = dangling.some((v) => v === 'true' || v === '1');
    list = list.filter((d) => (d.tags.length === 0 && d.digests.length === 0) === want);
  }
  for (const label of filters.get('label') ?? []) list = list.filter((d) => labelMatches(d.config.config?.Labels, label));
  for (const [key, cmp] of [['before', -1], ['since', 1]] as const) {
    for (const name of filters.get(key) ?? []) {
      const pivot = await deps.images.inspect(name);
      const t = Date.parse(pivot.config.created ?? '');
      list = list.filter((d) => Math.sign(Date.parse(d.config.created ?? '') - t) === cmp);
    }
  }
  if (!all) {
    // Intermediate images (no names, with children) are shown only with all=1.
    const parents = new Set(deps.images.index.all().map((r) => r.parent).filter(Boolean));
    list = list.filter((d) => d.tags.length > 0 || d.digests.length > 0 || !parents.has(d.record.id));
  }
  const patterns = filters.get('reference');
  if (patterns) {
    // As dockerd: an image lists only its names that match, and goes when none does.
    const matchers = patterns.map(referenceMatcher);
    const matches = (r: Reference) => matchers.some((m) => m(r));
    list = list.map((d) => ({ ...d, tags: d.tags.filter(matches), digests: d.digests.filter(matches) })).filter((d) => d.tags.length > 0 || d.digests.length > 0);
  }
  list.sort((a, b) => Date.parse(b.config.created ?? '') - Date.parse(a.config.created ?? ''));
  res.json(list.map(imageSummary));
}

async function createImage(deps: ImageRoutesDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const fromSrc = req.query.get('fromSrc');
  const fromImage = req.query.get('fromImage');
  if (fromSrc === null) {
    if (fromImage) throw notImplemented('ERR_PULL_UNSUPPORTED', `pulling ${fromImage} from a registry is not supported by this berthd yet`);
    throw invalid('ERR_BAD_PARAMETER', 'either fromSrc or fromImage must be given');
  }
  if (fromSrc !== '-') {
    throw invalid('ERR_IMPORT_SOURCE', `berthd does not download import sources (${fromSrc}): send the archive in the request body (fromSrc=-)`);
  }
  const repo = req.query.get('repo') ?? '';
  const tag = req.query.get('tag') ?? '';
  let reference: string | undefined;
  if (repo) reference = tag ? `${repo}:${tag}` : repo;
  const platformText = req.query.get('platform');
  let platform: { os: string; architecture: string; variant?: string } | undefined;
  if (platformText) {
    const [os, architecture, variant] = platformText.split('/');
    if (!os || !architecture) throw invalid('ERR_BAD_PARAMETER', `invalid platform: ${platformText}`);
    platform = variant ? { os, architecture, variant } : { os, architecture };
  }
  // Validate names before the 200 so a bad name is a 400, as in Docker.
  if (reference) parseReference(reference);
  const changes = req.query.getAll('changes');
  applyChanges({}, changes);

  const out = new MessageStream(res);
  try {
    const id = await deps.images.importImage(req.body, {
      ...(reference ? { reference } : {}),
      message: req.query.get('message') ?? '',
      changes,
      ...(platform ? { platform } : {}),
    });
    out.status(id);
  } catch (e) {
    out.fail(e);
  } finally {
    out.end();
  }
}

async function history(deps: ImageRoutesDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const chain: ImageDetails[] = [await deps.images.inspect(req.params.name)];
  for (let parent = chain[0].record.parent; parent; ) {
    const rec = deps.images.index.get(parent);
    if (!rec) break;
    const d = await deps.images.details(rec);
    chain.push(d);
    parent = rec.parent;
  }
  res.json(imageHistory(chain));
}

export function imageRoutes(deps: ImageRoutesDeps): Route[] {
  const { images } = deps;
  return [
    { method: 'GET', pattern: '/images/json', handler: (req, res) => listImages(deps, req, res) },
    { method: 'POST', pattern: '/images/create', handler: (req, res) => createImage(deps, req, res) },
    {
      method: 'POST',
      pattern: '/images/prune',
      handler: async (req, res) => {
        const filters = filtersParam(req.query);
        checkFilterKeys(filters, ['dangling', 'until', 'label', 'label!']);
        const dangling = filters.get('dangling');
        const all = dangling !== undefined && dangling.some((v) => v === 'false' || v === '0');
        const untilText = filters.get('until')?.[0];
        const until = untilText ? Number(parseTimeNs(untilText, `filter 'until=${untilText}'`) / 1_000_000n) / 1000 : undefined;
        res.json(await images.prune({ all, until, labels: filters.get('label'), notLabels: filters.get('label!') }));
      },
    },
    {
      method: 'GET',
      pattern: '/images/{name*}/json',
      handler: async (req, res) => {
        const d = await images.inspect(req.params.name).catch((e: unknown) => {
          // dockerd's inspect wraps the lookup's message: "no such image: x: No such image: x:latest"
          if (isKind(e, 'not-found')) throw notFound('ERR_IMAGE_NOT_FOUND', `no such image: ${req.params.name}: ${(e as Error).message}`);
          throw e;
        });
        res.json(imageInspect(d, deps.graphDriver(d)));
      },
    },
    { method: 'GET', pattern: '/images/{name*}/history', handler: (req, res) => history(deps, req, res) },
    {
      method: 'POST',
      pattern: '/images/{name*}/tag',
      handler: async (req, res) => {
        const repo = req.query.get('repo');
        if (!repo) throw invalid('ERR_REFERENCE_INVALID', 'repository name must have at least one component');
        await images.tag(req.params.name, repo, req.query.get('tag') ?? undefined);
        res.empty(201);
      },
    },
    {
      method: 'DELETE',
      pattern: '/images/{name*}',
      handler: async (req, res) => {
        res.json(await images.remove(req.params.name, { force: boolParam(req.query, 'force'), prune: !boolParam(req.query, 'noprune') }));
      },
    },
  ];
}
