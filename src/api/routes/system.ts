/** /_ping, /version, /info: what every client asks first. */
import type { ApiRequest, ApiResponse, Route } from '../contract.js';

export interface SystemService {
  /** The body of GET /version. */
  version(): Promise<Record<string, unknown>>;
  /** The body of GET /info. */
  info(): Promise<Record<string, unknown>>;
}

function ping(req: ApiRequest, res: ApiResponse): void {
  // Docker answers both HEAD and GET with these cache headers; HEAD has no body.
  const body = req.method === 'HEAD' ? '' : 'OK';
  res.send(body, 'text/plain; charset=utf-8');
}

export function systemRoutes(system: SystemService): Route[] {
  return [
    { method: 'GET', pattern: '/_ping', handler: ping },
    { method: 'HEAD', pattern: '/_ping', handler: ping },
    { method: 'GET', pattern: '/version', handler: async (_req, res) => res.json(await system.version()) },
    { method: 'GET', pattern: '/info', handler: async (_req, res) => res.json(await system.info()) },
  ];
}
