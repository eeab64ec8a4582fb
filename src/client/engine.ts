/**
 * The Engine API client the berth CLI uses: node:http over the daemon's unix socket (or TCP with
 * mutual TLS), versioned paths, JSON errors turned into EngineErrors with the daemon's message.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { BerthError, errnoCode } from '../core/errors.js';

export const CLIENT_API_VERSION = '1.41';
export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface RequestOptions {
  query?: Query;
  /** A JSON value (sent as application/json), or a stream (sent chunked with `contentType`). */
  body?: unknown;
  stream?: Readable;
  contentType?: string;
  headers?: Record<string, string>;
  /** Aborts the request (and its response) when signalled. */
  signal?: AbortSignal;
}

/** An error answer of the daemon: status plus the daemon's own message. */
export class EngineError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class EngineClient {
  /** The unix socket path, when the daemon is reached through one. */
  readonly socketPath?: string;
  private readonly hostPort?: { host: string; port: number };

  constructor(readonly host: string = DEFAULT_HOST) {
    if (host.startsWith('unix://')) this.socketPath = host.slice('unix://'.length);
    else if (host.startsWith('/')) this.socketPath = host;
    else {
      const m = /^tcp:\/\/([^:]+):(\d+)$/.exec(host);
      if (!m) throw new BerthError('invalid', 'ERR_HOST', `invalid host ${host}: expected unix:///path or tcp://host:port`);
      this.hostPort = { host: m[1], port: Number(m[2]) };
    }
  }

  private path(path: string, query?: Query): string {
    let p = `/v${CLIENT_API_VERSION}${path}`;
    if (query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) {
        if (v === undefined) continue;
        if (Array.isArray(v)) for (const item of v) qs.append(k, item);
        else qs.append(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
      }
      const s = qs.toString();
      if (s) p += `?${s}`;
    }
    return p;
  }

  private connectionError(e: unknown): BerthError {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
      return new BerthError('unavailable', 'ERR_DAEMON_UNREACHABLE', `Cannot connect to berthd at ${this.host}: is it running?`, {
        cause: e,
        ...(code === 'EACCES' ? { hint: 'permission denied on the socket: run as root or as a member of its group' } : {}),
      });
    }
    return new BerthError('unavailable', 'ERR_DAEMON_UNREACHABLE', `error talking to berthd at ${this.host}: ${(e as Error).message}`, { cause: e });
  }

  /** Send a request and return the response with its body unread. */
  raw(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      let payload: Buffer | undefined;
      if (opts.body !== undefined) {
        payload = Buffer.from(JSON.stringify(opts.body));
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(payload.length);
      } else if (opts.stream) {
        headers['Content-Type'] = opts.contentType ?? 'application/x-tar';
      }
      const req = http.request({
        method,
        path: this.path(path, opts.query),
        headers: { Host: 'berth', 'User-Agent': 'berth-cli', ...headers },
        ...this.target(),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      req.on('error', (e) => reject(this.connectionError(e)));
      req.on('response', resolve);
      if (payload) req.end(payload);
      else if (opts.stream) {
        opts.stream.on('error', (e) => req.destroy(e));
        opts.stream.pipe(req);
      } else req.end();
    });
  }

  private async readBody(res: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /** Turn an error status into an EngineError with the daemon's message. */
  async check(res: http.IncomingMessage): Promise<http.IncomingMessage> {
    const status = res.statusCode ?? 0;
    if (status < 400) return res;
    const body = (await this.readBody(res)).toString('utf8').trim();
    let message = body;
    if (res.headers['content-type'] === 'application/json') {
      try {
        message = (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        // keep the raw text
      }
    }
    throw new EngineError(status, message || `request failed with status ${status}`);
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.check(await this.raw(method, path, opts));
    const body = await this.readBody(res);
    return (body.length ? JSON.parse(body.toString('utf8')) : undefined) as T;
  }

  /** A request whose answer has no body worth reading (204, 201, 304): returns the status. */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<number> {
    const res = await this.check(await this.raw(method, path, opts));
    await this.readBody(res);
    return res.statusCode ?? 0;
  }

  /** A streamed answer (progress, logs, events): the response, status already checked. */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    return this.check(await this.raw(method, path, opts));
  }

  /**
   * Where requests go. A unix socket is dialled directly, without http's agent: the agent would
   * compute a TLS server name from the default host (a costly first regex run at CLI start).
   */
  private target(): http.RequestOptions {
    const socketPath = this.socketPath;
    if (socketPath) return { createConnection: () => net.connect(socketPath) };
    return { host: this.hostPort!.host, port: this.hostPort!.port };
  }

  /** Hijack: send `Upgrade: tcp`, expect 101, return the raw socket for both directions. */
  hijack(method: string, path: string, opts: RequestOptions = {}): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const payload = opts.body !== undefined ? Buffer.from(JSON.stringify(opts.body)) : Buffer.alloc(0);
      const req = http.request({
        method,
        path: this.path(path, opts.query),
        headers: {
          Host: 'berth',
          'User-Agent': 'berth-cli',
          Connection: 'Upgrade',
          Upgrade: 'tcp',
          'Content-Type': opts.body !== undefined ? 'application/json' : 'text/plain',
          'Content-Length': String(payload.length),
        },
        ...this.target(),
      });
      req.on('error', (e) => reject(this.connectionError(e)));
      req.on('upgrade', (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      // Any answer but 101 is a failed hijack, whatever the body says (as in the Go client).
      req.on('response', (res) => {
        res.resume();
        reject(new Error(`unable to upgrade to tcp, received ${res.statusCode}`));
      });
      req.end(payload);
    });
  }
}

/** Call `onLine` for each non-empty, trimmed line of a text stream (newline-delimited JSON). */
export async function readLines(res: Readable, onLine: (line: string) => void): Promise<void> {
  let buf = '';
  for await (const chunk of res) {
    buf += (chunk as Buffer).toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) onLine(line);
    }
  }
  if (buf.trim()) onLine(buf.trim());
}

/** Parse a JSON-message stream (pull, import, load, build), calling `onMessage` for each object. */
export async function readJsonMessages(res: Readable, onMessage: (m: Record<string, unknown>) => void): Promise<void> {
  await readLines(res, (line) => onMessage(JSON.parse(line) as Record<string, unknown>));
}
