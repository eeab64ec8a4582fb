/**
 * The registry's routes: path patterns (the repository name is everything up to the last fixed
 * segment, so names may hold `/`), the handler per method, and the access each one needs.
 */
import type { AccessScope } from './contract.js';
import { sendJson, type Ctx } from './context.js';
import { deleteBlob, getBlob } from './handlers/blobs.js';
import { catalog, listTags, referrers } from './handlers/listing.js';
import { deleteManifest, getManifest, putManifest } from './handlers/manifests.js';
import { cancelUpload, patchUpload, putUpload, startUpload, uploadStatus } from './handlers/uploads.js';
import { checkName } from './names.js';

export type Need = 'none' | 'pull' | 'push' | 'delete' | 'catalog';

export interface MethodSpec {
  handler: (ctx: Ctx) => Promise<void>;
  need: Need;
}

export interface Route {
  /** Metrics label. */
  id: string;
  pattern: RegExp;
  /** The first capture is a repository name. */
  hasName: boolean;
  methods: Record<string, MethodSpec>;
}

const base = async (ctx: Ctx) => sendJson(ctx, 200, {});

const pull = (handler: MethodSpec['handler']): MethodSpec => ({ handler, need: 'pull' });
const push = (handler: MethodSpec['handler']): MethodSpec => ({ handler, need: 'push' });
const del = (handler: MethodSpec['handler']): MethodSpec => ({ handler, need: 'delete' });

export const ROUTES: Route[] = [
  { id: 'base', pattern: /^\/v2\/?$/, hasName: false, methods: { GET: { handler: base, need: 'none' }, HEAD: { handler: base, need: 'none' } } },
  { id: 'catalog', pattern: /^\/v2\/_catalog$/, hasName: false, methods: { GET: { handler: catalog, need: 'catalog' } } },
  { id: 'tags', pattern: /^\/v2\/(.+)\/tags\/list$/, hasName: true, methods: { GET: pull(listTags), HEAD: pull(listTags) } },
  {
    id: 'manifest',
    pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/,
    hasName: true,
    methods: { GET: pull(getManifest), HEAD: pull(getManifest), PUT: push(putManifest), DELETE: del(deleteManifest) },
  },
  { id: 'upload', pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/, hasName: true, methods: { POST: push(startUpload) } },
  {
    id: 'upload_session',
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    hasName: true,
    methods: { GET: push(uploadStatus), PATCH: push(patchUpload), PUT: push(putUpload), DELETE: push(cancelUpload) },
  },
  { id: 'blob', pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/, hasName: true, methods: { GET: pull(getBlob), HEAD: pull(getBlob), DELETE: del(deleteBlob) } },
  { id: 'referrers', pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, hasName: true, methods: { GET: pull(referrers) } },
];

/** Digests arrive with ':' as is or as %3A; anything undecodable stays raw (and fails validation). */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export interface Match {
  route: Route;
  name: string;
  params: string[];
}

export function matchRoute(pathname: string): Match | undefined {
  for (const route of ROUTES) {
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    const captures = m.slice(1).map(safeDecode);
    if (!route.hasName) return { route, name: '', params: captures };
    // The name is validated raw: a percent-encoded name is not a valid name.
    return { route, name: checkName(m[1]), params: captures.slice(1) };
  }
  return undefined;
}

/** The scopes a request needs, as token auth names them (the mount's source repository included). */
export function scopesFor(need: Need, name: string, query: URLSearchParams): AccessScope[] {
  switch (need) {
    case 'none':
      return [];
    case 'catalog':
      return [{ type: 'registry', name: 'catalog', actions: ['*'] }];
    case 'pull':
      return [{ type: 'repository', name, actions: ['pull'] }];
    case 'delete':
      return [{ type: 'repository', name, actions: ['delete'] }];
    case 'push': {
      const scopes: AccessScope[] = [{ type: 'repository', name, actions: ['pull', 'push'] }];
      const from = query.get('from');
      if (query.has('mount') && from && from !== name) scopes.push({ type: 'repository', name: from, actions: ['pull'] });
      return scopes;
    }
  }
}
