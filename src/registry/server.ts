/**
 * The registry server: routing, authentication, the read-only and delete switches, JSON errors,
 * the access log, metrics, the health endpoint, scheduled GC and graceful shutdown (stop
 * accepting, let running transfers finish within a bound, then close).
 */
import * as fsp from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { logger } from '../core/log.js';
import { openAccessLog } from './accesslog.js';
import { createAuthenticator, type Authenticator } from './auth/authenticator.js';
import type { GcReport, Principal, RegistryConfig, RegistryServer } from './contract.js';
import { type Ctx, type RegistryCore, send, sendJson } from './context.js';
import { asRegistryError, errorBody, regError } from './errors.js';
import { collectGarbage } from './gc.js';
import { baseUrl, createServer, listen } from './httpserver.js';
import { RegistryMetrics } from './metrics.js';
import { matchRoute, scopesFor } from './routes.js';
import { bodySentAside, type AsideBody } from './sendfile.js';
import { RegistryStorage } from './storage.js';
import { UploadStore } from './uploads.js';

const log = logger('registry');

export interface RunningRegistry extends RegistryServer {
  readonly core: RegistryCore;
  /** Run a garbage collection now (with the configured grace periods). */
  gc(dryRun?: boolean): Promise<GcReport>;
}

export async function openCore(config: RegistryConfig): Promise<RegistryCore> {
  const storage = await RegistryStorage.open(config.root);
  return { config, storage, uploads: new UploadStore(storage.uploadsDir, storage.content), metrics: new RegistryMetrics() };
}

function splitUrl(raw: string): { pathname: string; query: URLSearchParams } {
  const i = raw.indexOf('?');
  return i < 0 ? { pathname: raw, query: new URLSearchParams() } : { pathname: raw.slice(0, i), query: new URLSearchParams(raw.slice(i + 1)) };
}

function writeError(ctx: Pick<Ctx, 'req' | 'res' | 'method'>, e: unknown): void {
  try {
    const socket: Socket | null = ctx.req.socket;
    if ((ctx.req.destroyed && !ctx.req.complete) || ctx.res.destroyed || !socket || socket.destroyed) {
      // The client went away (mid-upload, mid-download): nobody to answer, nothing went wrong here.
      log.debug('client disconnected', { method: ctx.req.method, url: ctx.req.url });
      ctx.res.destroy();
      return;
    }
    const err = asRegistryError(e);
    if (err.httpStatus >= 500) log.error('request failed', { method: ctx.req.method, url: ctx.req.url, error: err.message, cause: String(err.cause ?? '') });
    if (ctx.res.headersSent) {
      // The body was under way: all we can do is cut the connection so the client sees it short.
      ctx.res.destroy();
      return;
    }
    // A body not read to its end is drained by Node after this answer, keeping the connection usable.
    send(ctx, err.httpStatus, { 'Content-Type': 'application/json; charset=utf-8', ...err.headers }, errorBody(err));
  } catch (bug) {
    log.error('cannot answer with an error', { error: String(bug) });
    ctx.res.destroy();
  }
}

/**
 * Count the body bytes of a request as the HTTP parser hands them over. A 'data' listener would
 * switch the stream to flowing mode and lose bytes that arrive before a handler pipes it, and the
 * socket's byte counter mixes in headers and, on a busy keep-alive connection, the next request.
 */
function countBody(req: IncomingMessage): () => number {
  let n = 0;
  const push = req.push.bind(req);
  req.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk instanceof Uint8Array) n += chunk.length;
    return push(chunk, encoding);
  };
  return () => n;
}

export async function startRegistry(config: RegistryConfig): Promise<RunningRegistry> {
  const core = await openCore(config);
  const auth: Authenticator = await createAuthenticator(config.auth);
  const access = openAccessLog(config.accessLog);
  const { metrics } = core;
  let closing = false;
  let active = 0;
  let drained: (() => void) | undefined;

  async function dispatch(req: IncomingMessage, res: ServerResponse, method: string, note: { route: string; user: string }): Promise<void> {
    const { pathname, query } = splitUrl(req.url ?? '/');
    if (pathname === '/healthz' || pathname === '/metrics') {
      note.route = pathname.slice(1);
      const ctx = { res, method };
      if (pathname === '/metrics') return send(ctx, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }, metrics.render());
      const ok = await fsp.access(config.root, fsp.constants.W_OK).then(() => true, () => false);
      return sendJson(ctx, ok ? 200 : 503, { status: ok ? 'ok' : 'storage unavailable' });
    }
    const match = matchRoute(pathname);
    if (!match) throw regError('NAME_UNKNOWN', `no such endpoint: ${pathname.slice(0, 200)}`, { status: 404 });
    note.route = match.route.id;
    const spec = match.route.methods[method];
    if (!spec) throw regError('UNSUPPORTED', `${method} is not supported on this endpoint`, { headers: { Allow: Object.keys(match.route.methods).join(', ') } });
    const principal: Principal = await auth.authenticate(req.headers.authorization, scopesFor(spec.need, match.name, query));
    note.user = principal.user;
    if (spec.need === 'push' || spec.need === 'delete') {
      if (config.readOnly) throw regError('UNSUPPORTED', 'the registry is in read-only mode');
      if (spec.need === 'delete' && !config.deleteEnabled) throw regError('UNSUPPORTED', 'deletes are disabled on this registry');
    }
    await spec.handler({ core, req, res, method, query, name: match.name, params: match.params, principal });
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    const sock = req.socket;
    const outAtStart = sock.bytesWritten;
    const bodyBytes = countBody(req);
    const method = req.method ?? 'GET';
    const note = { route: 'unknown', user: '' };
    active++;
    metrics.inFlight++;
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    if (closing) res.setHeader('Connection', 'close');
    const account = (aside: AsideBody | undefined) => {
      active--;
      metrics.inFlight--;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const bytesIn = bodyBytes();
      const bytesOut = sock.bytesWritten - outAtStart + (aside?.bytes ?? 0);
      const status = res.writableFinished || aside?.complete === true ? res.statusCode : 499;
      metrics.requests.inc({ route: note.route, method, code: String(status) });
      metrics.latency.observe({ route: note.route }, seconds);
      metrics.bytesIn.inc({}, bytesIn);
      metrics.bytesOut.inc({}, bytesOut);
      access.write({
        time: new Date().toISOString(),
        remote: sock.remoteAddress,
        method,
        uri: req.url,
        status,
        bytesIn,
        bytesOut,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        user: note.user,
        userAgent: req.headers['user-agent'] ?? '',
      });
      if (closing) {
        server.closeIdleConnections();
        if (active === 0) drained?.();
      }
    };
    res.once('close', () => {
      const aside = bodySentAside(res);
      if (aside) void aside.then(account);
      else account(undefined);
    });
    dispatch(req, res, method, note).catch((e: unknown) => writeError({ req, res, method }, e));
  }

  const server = await createServer(onRequest, config.tls);
  const port = await listen(server, config.addr);

  const gc = async (dryRun = false): Promise<GcReport> => {
    const report = await collectGarbage(core.storage, core.uploads, { graceMs: config.gc.graceMs, uploadGraceMs: config.gc.uploadGraceMs, dryRun });
    if (report.ran && !dryRun) {
      metrics.gcRuns.inc();
      metrics.gcRemoved.inc({}, report.removedBlobs.length);
      metrics.gcFreed.inc({}, report.freedBytes);
    }
    return report;
  };
  const timer =
    config.gc.intervalMs > 0
      ? setInterval(() => {
          gc().then(
            (r) => r.ran && log.info('garbage collection', { removedBlobs: r.removedBlobs.length, freedBytes: r.freedBytes, removedUploads: r.removedUploads, durationMs: r.durationMs }),
            (e: unknown) => log.error('garbage collection failed', { error: String(e) }),
          );
        }, config.gc.intervalMs)
      : undefined;
  timer?.unref();

  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    if (timer) clearInterval(timer);
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (active > 0) {
      const idle = new Promise<void>((resolve) => (drained = resolve));
      let bound: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (bound = setTimeout(resolve, config.shutdownTimeoutMs)));
      await Promise.race([idle, timeout]);
      clearTimeout(bound);
    }
    server.closeAllConnections();
    await stopped;
    await access.close();
  };

  return { url: baseUrl(config.tls !== undefined, config.addr, port), port, core, gc, close };
}
