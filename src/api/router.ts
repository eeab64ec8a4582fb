/**
 * Route matching for the Engine API: strips and checks the `/v1.xx` prefix, then finds the first
 * route whose method and pattern match. Patterns are compiled once to anchored regular expressions.
 */
import { BerthError, invalid } from '../core/errors.js';
import { API_VERSION, MIN_API_VERSION, type Handler, type Route } from './contract.js';

interface CompiledRoute {
  method: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
}

export interface RouteMatch {
  handler: Handler;
  params: Record<string, string>;
  path: string;
  version: string;
}

const VERSION_PREFIX = /^\/v(\d+\.\d+)(\/.*)?$/;

function compareVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am !== bm ? am - bm : an - bn;
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.pattern
    .split('/')
    .map((segment) => {
      const m = /^\{(\w+)(\*?)\}$/.exec(segment);
      if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]);
      return m[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { method: route.method, regex: new RegExp(`^${source}$`), names, handler: route.handler };
}

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(...routes: Route[]): this {
    for (const r of routes) this.routes.push(compile(r));
    return this;
  }

  /**
   * Resolve a raw request path (query already removed). Returns undefined when nothing matches
   * (the caller answers 404 "page not found"); throws for an unsupported API version.
   */
  match(method: string, rawPath: string): RouteMatch | undefined {
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      throw invalid('ERR_BAD_PATH', `invalid URL escape in path: ${rawPath}`);
    }
    let version = API_VERSION;
    const v = VERSION_PREFIX.exec(path);
    if (v) {
      version = v[1];
      path = v[2] ?? '/';
      if (compareVersions(version, API_VERSION) > 0) {
        throw invalid('ERR_API_VERSION', `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
      }
      if (compareVersions(version, MIN_API_VERSION) < 0) {
        throw new BerthError(
          'invalid',
          'ERR_API_VERSION',
          `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
        );
      }
    }
    const effectiveMethod = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
    for (const m of effectiveMethod) {
      for (const r of this.routes) {
        if (r.method !== m) continue;
        const found = r.regex.exec(path);
        if (!found) continue;
        const params: Record<string, string> = {};
        r.names.forEach((n, i) => (params[n] = found[i + 1]));
        return { handler: r.handler, params, path, version };
      }
    }
    return undefined;
  }
}
