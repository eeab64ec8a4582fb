/**
 * ApiRequest and ApiResponse over Node's http objects. Two response flavours exist: one over a
 * ServerResponse (ordinary requests) and one over a raw socket (requests that asked for an
 * Upgrade, which Node hands over before any response object exists).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Writable, type Duplex } from 'node:stream';
import { invalid } from '../core/errors.js';
import { BERTH_VERSION } from '../core/version.js';
import { API_VERSION, type ApiRequest, type ApiResponse, type HijackedStream } from './contract.js';

export const COMMON_HEADERS: Record<string, string> = {
  'Api-Version': API_VERSION,
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: `Berth/${BERTH_VERSION} (linux)`,
};

const RAW_STREAM = 'application/vnd.docker.raw-stream';
const MAX_JSON_BODY = 8 << 20;

async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) throw invalid('ERR_BODY_TOO_LARGE', `request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function makeRequest(
  msg: IncomingMessage,
  body: Readable,
  match: { path: string; version: string; params: Record<string, string> },
  query: URLSearchParams,
  onClose: (fn: () => void) => void,
): ApiRequest {
  return {
    method: msg.method ?? 'GET',
    path: match.path,
    version: match.version,
    params: match.params,
    query,
    headers: msg.headers,
    body,
    wantsUpgrade: msg.headers.upgrade !== undefined,
    onClose,
    async json<T>(): Promise<T | undefined> {
      const buf = await readAll(body, MAX_JSON_BODY);
      if (buf.length === 0 || buf.toString('utf8').trim() === '') return undefined;
      const ct = msg.headers['content-type'];
      if (ct !== undefined && !/^application\/json\b/.test(ct)) {
        throw invalid('ERR_CONTENT_TYPE', `Content-Type specified (${ct}) must be 'application/json'`);
      }
      try {
        return JSON.parse(buf.toString('utf8')) as T;
      } catch (e) {
        throw invalid('ERR_BAD_JSON', `invalid JSON body: ${(e as Error).message}`);
      }
    },
  };
}

/** Response over Node's ServerResponse. */
export class HttpApiResponse implements ApiResponse {
  constructor(private readonly res: ServerResponse) {}

  get started(): boolean {
    return this.res.headersSent;
  }

  private head(status: number, headers: Record<string, string | number>): void {
    this.res.writeHead(status, { ...COMMON_HEADERS, ...headers });
  }

  json(body: unknown, status = 200): void {
    const text = JSON.stringify(body) + '\n';
    this.head(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    this.res.end(text);
  }

  empty(status: number): void {
    this.head(status, status === 304 || status === 204 ? {} : { 'Content-Length': 0 });
    this.res.end();
  }

  send(body: string | Buffer, contentType: string, status = 200): void {
    this.head(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    this.res.end(body);
  }

  stream(contentType: string | undefined, status = 200): Writable {
    this.head(status, contentType ? { 'Content-Type': contentType } : {});
    this.res.flushHeaders();
    return this.res;
  }

  hijack(contentType = RAW_STREAM): HijackedStream {
    // No Upgrade asked (dockerode): a 200 whose body is the raw stream; stdin is not possible.
    this.res.writeHead(200, { 'Content-Type': contentType });
    this.res.flushHeaders();
    return { output: this.res, input: undefined, socket: this.res.socket ?? undefined };
  }
}

const STATUS_TEXT: Record<number, string> = {
  101: 'UPGRADED', 200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request',
  401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 416: 'Range Not Satisfiable',
  500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
};

function rawHead(status: number, headers: Record<string, string | number>): string {
  let s = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Status'}\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return s + '\r\n';
}

/** Response over the raw socket of a request that asked for an Upgrade. */
export class SocketApiResponse implements ApiResponse {
  private wrote = false;
  constructor(private readonly socket: Duplex) {}

  get started(): boolean {
    return this.wrote;
  }

  private finish(status: number, headers: Record<string, string | number>, body: string | Buffer): void {
    this.wrote = true;
    this.socket.write(rawHead(status, { ...COMMON_HEADERS, ...headers, Connection: 'close' }));
    this.socket.end(body);
  }

  json(body: unknown, status = 200): void {
    const text = JSON.stringify(body) + '\n';
    this.finish(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }, text);
  }

  empty(status: number): void {
    this.finish(status, { 'Content-Length': 0 }, '');
  }

  send(body: string | Buffer, contentType: string, status = 200): void {
    this.finish(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) }, body);
  }

  stream(contentType: string | undefined, status = 200): Writable {
    this.wrote = true;
    const headers: Record<string, string> = { ...COMMON_HEADERS, 'Transfer-Encoding': 'chunked', Connection: 'close' };
    if (contentType) headers['Content-Type'] = contentType;
    this.socket.write(rawHead(status, headers));
    const socket = this.socket;
    return new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (chunk.length === 0) return cb();
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write('\r\n', cb);
      },
      final(cb) {
        socket.end('0\r\n\r\n', cb);
      },
    });
  }

  hijack(contentType = RAW_STREAM): HijackedStream {
    this.wrote = true;
    this.socket.write(
      rawHead(101, { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp', ...COMMON_HEADERS }),
    );
    return { output: this.socket, input: this.socket, socket: this.socket };
  }
}

/**
 * For an upgrade request, Node gives the socket and the bytes already read past the headers.
 * Split off exactly Content-Length bytes of body; the rest (stdin) is pushed back onto the socket.
 */
export async function takeUpgradeBody(msg: IncomingMessage, socket: Duplex, head: Buffer): Promise<Readable> {
  const length = Number(msg.headers['content-length'] ?? 0);
  let buf = head;
  if (length > MAX_JSON_BODY) throw invalid('ERR_BODY_TOO_LARGE', `request body larger than ${MAX_JSON_BODY} bytes`);
  while (buf.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer) => {
        cleanup();
        resolve(d);
      };
      const onEnd = () => {
        cleanup();
        resolve(null);
      };
      const cleanup = () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.pause();
      };
      socket.on('data', onData);
      socket.on('end', onEnd);
      socket.resume();
    });
    if (chunk === null) break;
    buf = Buffer.concat([buf, chunk]);
  }
  const body = buf.subarray(0, length);
  const rest = buf.subarray(length);
  if (rest.length > 0) socket.unshift(rest);
  return Readable.from(body.length ? [body] : []);
}
