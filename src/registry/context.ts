/** What a request handler gets, and the few ways it answers. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Principal, RegistryConfig } from './contract.js';
import type { RegistryMetrics } from './metrics.js';
import type { RegistryStorage } from './storage.js';
import type { UploadStore } from './uploads.js';

/** The registry's long-lived parts, shared by every request. */
export interface RegistryCore {
  config: RegistryConfig;
  storage: RegistryStorage;
  uploads: UploadStore;
  metrics: RegistryMetrics;
}

export interface Ctx {
  core: RegistryCore;
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  query: URLSearchParams;
  /** The repository name (validated), empty for routes without one. */
  name: string;
  /** The route's other path parameters (a digest, a reference, an upload id). */
  params: string[];
  principal: Principal;
}

/** Answer with a status, headers and an optional body; a HEAD request gets the headers only. */
export function send(ctx: Pick<Ctx, 'res' | 'method'>, status: number, headers: OutgoingHttpHeaders, body?: string | Buffer): void {
  const data = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
  ctx.res.writeHead(status, { 'Content-Length': data?.length ?? 0, ...headers });
  ctx.res.end(ctx.method === 'HEAD' ? undefined : data);
}

export function sendJson(ctx: Pick<Ctx, 'res' | 'method'>, status: number, value: unknown, headers: OutgoingHttpHeaders = {}): void {
  send(ctx, status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(value));
}

/** Whether the request carries a body (a length above zero, or chunked transfer encoding). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}
