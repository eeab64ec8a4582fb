/**
 * The Engine API HTTP server: one Router, served on any number of listeners (unix sockets, and
 * TCP only with mutual TLS). Ordinary requests and upgrade (hijack) requests go through the same
 * routes; errors become `{"message": ...}` with `Content-Type: application/json` and the status
 * of the error's kind.
 */
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { toBerthError } from '../core/errors.js';
import { logger } from '../core/log.js';
import type { ApiResponse } from './contract.js';
import { HttpApiResponse, SocketApiResponse, makeRequest, takeUpgradeBody } from './http.js';
import type { Router } from './router.js';

const log = logger('api');

export type Listener =
  | { kind: 'unix'; path: string; mode: number; gid?: number }
  | { kind: 'tcp'; host: string; port: number; tls: { ca: Buffer; cert: Buffer; key: Buffer } };

export function sendError(res: ApiResponse, e: unknown, context: string): void {
  const err = toBerthError(e);
  if (err.kind === 'internal') log.error('request failed', { context, error: err.message, stack: (err.cause as Error | undefined)?.stack });
  if (res.started) return; // a streamed answer reports its own errors in-band
  if (err.status === 304) res.empty(304);
  else res.json({ message: err.message }, err.status);
}

export class ApiServer {
  private readonly servers: http.Server[] = [];
  private readonly sockets = new Set<Socket | Duplex>();

  /** Called whenever a request finishes (the daemon trims its memory once things are quiet). */
  onActivity?: () => void;

  constructor(private readonly router: Router) {}

  private async dispatch(msg: http.IncomingMessage, res: ApiResponse, bodyFor: () => Promise<import('node:stream').Readable>, onClose: (fn: () => void) => void): Promise<void> {
    const url = new URL(msg.url ?? '/', 'http://berthd');
    const context = `${msg.method} ${url.pathname}`;
    try {
      const match = this.router.match(msg.method ?? 'GET', url.pathname);
      if (!match) {
        res.json({ message: 'page not found' }, 404);
        return;
      }
      log.debug('request', { method: msg.method, path: url.pathname, query: url.search });
      const req = makeRequest(msg, await bodyFor(), match, url.searchParams, onClose);
      await match.handler(req, res);
    } catch (e) {
      sendError(res, e, context);
    } finally {
      this.onActivity?.();
    }
  }

  private onRequest = (msg: http.IncomingMessage, raw: http.ServerResponse): void => {
    const res = new HttpApiResponse(raw);
    const onClose = (fn: () => void) => raw.on('close', () => {
      if (!raw.writableFinished) fn();
    });
    void this.dispatch(msg, res, async () => msg, onClose);
  };

  private onUpgrade = (msg: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    (socket as Socket).setTimeout?.(0);
    (socket as Socket).setNoDelay?.(true);
    const res = new SocketApiResponse(socket);
    const onClose = (fn: () => void) => socket.on('close', fn);
    void this.dispatch(msg, res, () => takeUpgradeBody(msg, socket, head), onClose);
  };

  private track(server: http.Server): void {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('request', this.onRequest);
    server.on('upgrade', this.onUpgrade);
    // Streams (logs -f, events, attach) may be silent for a long time.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 5_000;
    this.servers.push(server);
  }

  async listen(listeners: Listener[]): Promise<void> {
    for (const l of listeners) {
      if (l.kind === 'unix') {
        await fs.rm(l.path, { force: true });
        const server = http.createServer();
        this.track(server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(l.path, () => resolve());
        });
        await fs.chmod(l.path, l.mode);
        if (l.gid !== undefined) await fs.chown(l.path, 0, l.gid);
      } else {
        const server = https.createServer({ ca: l.tls.ca, cert: l.tls.cert, key: l.tls.key, requestCert: true, rejectUnauthorized: true });
        this.track(server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(l.port, l.host, () => resolve());
        });
      }
    }
  }

  /** Stop accepting, end idle connections, and cut long-running streams after `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of this.servers) s.closeIdleConnections();
    const timer = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, graceMs);
    await Promise.all(closing);
    clearTimeout(timer);
  }
}
