/**
 * The API layer's contract: how a route handler sees a request and answers it. Handlers never
 * touch Node's http objects directly, so the same handler serves a plain request, a request that
 * asked for an HTTP upgrade (attach, exec start), and every API version prefix.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';

export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.12';

export interface ApiRequest {
  method: string;
  /** Path without the `/v1.xx` prefix, percent-decoded per segment. */
  path: string;
  /** The API version the client asked for (the maximum when the path had no prefix). */
  version: string;
  /** Named captures of the route pattern, percent-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The request body as a byte stream. */
  body: Readable;
  /** Parse the body as JSON; requires `Content-Type: application/json` when a body is present. */
  json<T = unknown>(): Promise<T | undefined>;
  /** True when the client sent `Upgrade` (the docker CLI's hijack). */
  wantsUpgrade: boolean;
  /** Fires when the client goes away before the answer is complete. */
  onClose(fn: () => void): void;
}

/** A hijacked connection: raw bytes both ways after the 101 (or after a 200 raw-stream head). */
export interface HijackedStream {
  /** Bytes to the client. */
  output: Writable;
  /** Bytes from the client (stdin); ends when the client half-closes. Absent without an upgrade. */
  input: Readable | undefined;
  /** The underlying socket, for destroying on detach. */
  socket: Duplex | undefined;
}

export interface ApiResponse {
  /** JSON body with Docker's headers; `status` defaults to 200. */
  json(body: unknown, status?: number): void;
  /** Status with no body (204, 201, 304). */
  empty(status: number): void;
  /** Plain bytes with a content type (e.g. `text/plain` for /_ping, `application/x-tar` for exports). */
  send(body: string | Buffer, contentType: string, status?: number): void;
  /**
   * Start a streamed (chunked) answer and return its body writer. `contentType` undefined sends
   * no Content-Type header (logs at API 1.41).
   */
  stream(contentType: string | undefined, status?: number): Writable;
  /** Take over the connection: 101 UPGRADED when the client asked for it, else 200 raw-stream. */
  hijack(contentType?: string): HijackedStream;
  /** True once a status line has been written. */
  readonly started: boolean;
}

export type Handler = (req: ApiRequest, res: ApiResponse) => Promise<void> | void;

export interface Route {
  method: string;
  /** Path pattern; `{name}` matches one segment, `{name*}` matches the rest greedily (image names contain `/`). */
  pattern: string;
  handler: Handler;
}
