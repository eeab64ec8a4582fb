/**
 * A recording Engine API server for wire-compatibility tests: it answers from canned routes on a
 * unix socket and records every request (method, path and query, body, hijack input), so the
 * same scenario can be played to the docker CLI and to berth and the two transcripts compared.
 */
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  /** Path and query as sent, version prefix included. */
  url: string;
  contentType?: string;
  /** True when the client asked for `Upgrade: tcp`. */
  upgrade: boolean;
  body: string;
  /** Bytes the client wrote after a 101 (hijacked stdin), latin1. */
  stdin?: string;
  /** X-Registry-Auth, when sent. */
  registryAuth?: string;
}

export interface Reply {
  status: number;
  json?: unknown;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Chunks written one by one with `chunkDelayMs` between them (streams: logs, events, pull). */
  chunks?: Array<string | Buffer>;
  chunkDelayMs?: number;
  /** Keep the response open after the chunks (a follow stream the client must cut). */
  keepOpen?: boolean;
}

export interface HijackContext {
  req: RecordedRequest;
  socket: Duplex;
  /** Resolves when the client half-closes its side (stdin EOF). */
  stdinEnded: Promise<void>;
  engine: FakeEngine;
}

export type RouteAnswer = Reply | ((req: RecordedRequest, engine: FakeEngine, res: http.ServerResponse) => Reply | 'handled' | Promise<Reply | 'handled'>);
export type HijackAnswer = (ctx: HijackContext) => void | Promise<void>;

export interface Route {
  method: string;
  /** Matched against the path without the `/v1.xx` prefix and without the query. */
  path: RegExp;
  answer?: RouteAnswer;
  /** For `Upgrade: tcp` requests: the 101 is sent, then this drives the raw stream. */
  hijack?: HijackAnswer;
  /** Answer only the first N matching requests (later ones fall through to the next route). */
  times?: number;
}

const COMMON_HEADERS = {
  'Api-Version': '1.41',
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: 'Docker/20.10.24+dfsg1 (linux)',
};

function stripVersion(url: string): string {
  const path = url.split('?')[0];
  return path.replace(/^\/v1\.\d+/, '');
}

/** An 8-byte multiplexed frame as the daemon writes it. */
export function frame(stream: 1 | 2 | 3, payload: string | Buffer): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(data.length, 4);
  return Buffer.concat([head, data]);
}

export class FakeEngine {
  readonly requests: RecordedRequest[] = [];
  readonly socketPath: string;
  private readonly server: http.Server;
  private readonly used = new Map<Route, number>();
  private readonly listeners = new Set<() => void>();
  private readonly sockets = new Set<Duplex>();

  constructor(dir: string, readonly routes: Route[]) {
    this.socketPath = join(dir, 'engine.sock');
    this.server = http.createServer((req, res) => void this.onRequest(req, res));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void this.onUpgrade(req, socket, head));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  get host(): string {
    return `unix://${this.socketPath}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Called whenever a request is recorded: lets scenarios wait for "start was called". */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves once a request matching the predicate has been recorded. */
  waitFor(pred: (r: RecordedRequest) => boolean): Promise<RecordedRequest> {
    const found = this.requests.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const off = this.onChange(() => {
        const r = this.requests.find(pred);
        if (r) {
          off();
          resolve(r);
        }
      });
    });
  }

  private notify(): void {
    for (const fn of [...this.listeners]) fn();
  }

  private route(method: string, url: string, upgrade: boolean): Route | undefined {
    const path = stripVersion(url);
    for (const r of this.routes) {
      if (r.method !== method || !r.path.test(path)) continue;
      // An upgrade may be refused by a plain answer (no 101).
      if (upgrade ? !r.hijack && !r.answer : !r.answer) continue;
      const n = this.used.get(r) ?? 0;
      if (r.times !== undefined && n >= r.times) continue;
      this.used.set(r, n + 1);
      return r;
    }
    return undefined;
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', upgrade: false, body: '' };
    if (req.headers['content-type']) rec.contentType = req.headers['content-type'];
    const auth = req.headers['x-registry-auth'];
    if (typeof auth === 'string') rec.registryAuth = auth;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    rec.body = Buffer.concat(chunks).toString('utf8');
    if (!/\/_ping$/.test(stripVersion(rec.url))) {
      this.requests.push(rec);
      this.notify();
    }
    if (/\/_ping$/.test(stripVersion(rec.url))) {
      res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
      return;
    }
    const route = this.route(rec.method, rec.url, false);
    if (!route?.answer) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'page not found' }) + '\n');
      return;
    }
    const answer = typeof route.answer === 'function' ? await route.answer(rec, this, res) : route.answer;
    if (answer === 'handled') return;
    await this.send(res, answer);
  }

  private async send(res: http.ServerResponse, a: Reply): Promise<void> {
    const headers: Record<string, string> = { ...COMMON_HEADERS, ...(a.headers ?? {}) };
    if (a.json !== undefined) headers['Content-Type'] ??= 'application/json';
    if (a.chunks) {
      res.writeHead(a.status, headers);
      res.flushHeaders();
      for (const c of a.chunks) {
        if (res.destroyed) return;
        res.write(c);
        if (a.chunkDelayMs) await new Promise((r) => setTimeout(r, a.chunkDelayMs));
      }
      if (!a.keepOpen) res.end();
      return;
    }
    const body = a.json !== undefined ? JSON.stringify(a.json) + '\n' : a.body;
    res.writeHead(a.status, headers);
    res.end(body);
  }

  private async onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', upgrade: true, body: '', stdin: '' };
    if (req.headers['content-type']) rec.contentType = req.headers['content-type'];
    const length = Number(req.headers['content-length'] ?? 0);
    // The request body (exec start's JSON) arrives before the raw stdin bytes.
    let pending = head;
    let bodyBytes = Buffer.alloc(0);
    let stdinEnd!: () => void;
    const stdinEnded = new Promise<void>((r) => (stdinEnd = r));
    const take = (data: Buffer) => {
      if (bodyBytes.length < length) {
        const need = length - bodyBytes.length;
        bodyBytes = Buffer.concat([bodyBytes, data.subarray(0, need)]);
        data = data.subarray(need);
        rec.body = bodyBytes.toString('utf8');
      }
      if (data.length) rec.stdin += data.toString('latin1');
    };
    if (pending.length) take(pending);
    pending = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => take(d));
    socket.on('end', () => stdinEnd());
    socket.on('error', () => stdinEnd());
    socket.on('close', () => stdinEnd());
    this.requests.push(rec);
    this.notify();
    const route = this.route(rec.method, rec.url, true);
    if (!route?.hijack) {
      const answer = route?.answer && typeof route.answer !== 'function' ? route.answer : { status: 404, json: { message: 'page not found' } };
      const body = answer.json !== undefined ? JSON.stringify(answer.json) + '\n' : String(answer.body ?? '');
      socket.end(`HTTP/1.1 ${answer.status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    await route.hijack({ req: rec, socket, stdinEnded, engine: this });
  }
}

/** Request lines as a comparable transcript: method, URL, parsed JSON body, hijack flags. */
export interface TranscriptEntry {
  request: string;
  body?: unknown;
  upgrade?: true;
  stdin?: string;
  registryAuth?: string;
}

export function transcript(requests: RecordedRequest[]): TranscriptEntry[] {
  return requests.map((r) => {
    const e: TranscriptEntry = { request: `${r.method} ${r.url}` };
    if (r.body) {
      try {
        e.body = JSON.parse(r.body);
      } catch {
        e.body = r.body;
      }
    }
    if (r.upgrade) e.upgrade = true;
    if (r.stdin) e.stdin = r.stdin;
    if (r.registryAuth !== undefined) e.registryAuth = r.registryAuth;
    return e;
  });
}
