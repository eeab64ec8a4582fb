/**
 * A small HTTP load generator: `concurrency` keep-alive clients repeat one request until `total`
 * requests are done or `maxSeconds` have passed, whichever comes first. Bodies are read and
 * dropped; any status other than the expected one counts as an error.
 */
import * as http from 'node:http';

export interface LoadOptions {
  url: string;
  method: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  expectStatus: number;
  concurrency: number;
  total: number;
  maxSeconds: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const url = new URL(opts.url);
  let started = 0;
  let done = 0;
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + opts.maxSeconds * 1000;

  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.request(url, { method: opts.method, headers: opts.headers, agent }, (res) => {
        if (res.statusCode !== opts.expectStatus) errors++;
        res.resume();
        res.once('end', resolve);
        res.once('error', () => {
          errors++;
          resolve();
        });
      });
      req.once('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });

  const worker = async () => {
    while (started < opts.total && performance.now() < deadline) {
      started++;
      await one();
      done++;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { requests: done, errors, seconds, perSecond: done / seconds };
}
