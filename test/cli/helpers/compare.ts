/** Assertions that berth and docker behaved the same against the same fake engine. */
import assert from 'node:assert/strict';
import type { TranscriptEntry } from './fake-engine.js';
import type { Side } from './scenario.js';

export interface CompareOptions {
  /** Rewrite a transcript before comparing (e.g. sort fields docker fills from a Go map). */
  normalize?: (t: TranscriptEntry[]) => TranscriptEntry[];
  /** Rewrite outputs before comparing (e.g. a time that moves). */
  output?: (text: string) => string;
  /** Compare only the requests, not the output. */
  requestsOnly?: boolean;
}

/** docker builds Env and Binds from Go maps: their order is random. Compare them sorted. */
export function sortEnv(t: TranscriptEntry[]): TranscriptEntry[] {
  return t.map((e) => {
    const body = e.body as { Env?: string[] | null; HostConfig?: { Binds?: string[] | null } } | undefined;
    if (!body || typeof body !== 'object') return e;
    const out = { ...body };
    if (Array.isArray(body.Env)) out.Env = [...body.Env].sort();
    if (body.HostConfig && Array.isArray(body.HostConfig.Binds)) out.HostConfig = { ...body.HostConfig, Binds: [...body.HostConfig.Binds].sort() };
    return { ...e, body: out };
  });
}

export function assertSameBehaviour(both: { docker: Side; berth: Side }, opts: CompareOptions = {}): void {
  const norm = opts.normalize ?? ((t: TranscriptEntry[]) => t);
  const out = opts.output ?? ((s: string) => s);
  const context = `docker: ${JSON.stringify(both.docker.result)}\nberth:  ${JSON.stringify(both.berth.result)}`;
  for (const side of [both.docker, both.berth]) assert.ok(!side.result.stderr.includes('[killed: timeout]'), `a client hung\n${context}`);
  assert.deepStrictEqual(norm(both.berth.requests), norm(both.docker.requests), `requests differ\n${context}`);
  if (opts.requestsOnly) return;
  assert.equal(out(both.berth.result.stderr), out(both.docker.result.stderr), `stderr differs\n${context}`);
  assert.equal(out(both.berth.result.stdout), out(both.docker.result.stdout), `stdout differs\n${context}`);
  assert.equal(both.berth.result.code, both.docker.result.code, `exit status differs\n${context}`);
}
