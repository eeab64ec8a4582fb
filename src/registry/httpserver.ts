/** What the registry and the token server share about serving HTTP(S). */
import * as fsp from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { invalid } from '../core/errors.js';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m || Number(m[3]) > 65535) throw invalid('ERR_ADDR_INVALID', `invalid listen address "${addr}"`, { hint: 'use host:port, e.g. 127.0.0.1:5000' });
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]), port: Number(m[3]) };
}

export async function createServer(handler: Handler, tls?: { cert: string; key: string }): Promise<http.Server> {
  const options: http.ServerOptions = {
    // Blob transfers may take long; only the headers are bounded.
    requestTimeout: 0,
    headersTimeout: 60_000,
    keepAliveTimeout: 30_000,
  };
  if (!tls) return http.createServer(options, handler);
  const [cert, key] = await Promise.all([fsp.readFile(tls.cert), fsp.readFile(tls.key)]);
  return https.createServer({ ...options, cert, key }, handler);
}

export async function listen(server: http.Server, addr: string): Promise<number> {
  const { host, port } = parseAddr(addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

export function baseUrl(tls: boolean, addr: string, port: number): string {
  const { host } = parseAddr(addr);
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `${tls ? 'https' : 'http'}://${shown}:${port}`;
}

/** Read a whole (small) body; undefined when it is longer than `limit`. */
export async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
