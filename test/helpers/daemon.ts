/**
 * A real berthd for tests: its own data-root, exec-root and socket under a temporary directory,
 * started as a separate process and stopped (SIGTERM, then SIGKILL) when the test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const REPO_ROOT = new URL('../../..', import.meta.url).pathname.replace(/\/$/, '');
export const BERTHD = join(REPO_ROOT, 'bin', 'berthd');
export const BERTH = join(REPO_ROOT, 'bin', 'berth');

export interface TestDaemon {
  dir: string;
  dataRoot: string;
  execRoot: string;
  socket: string;
  /** `unix://<socket>` for -H / DOCKER_HOST. */
  host: string;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

export interface DaemonOptions {
  /** Reuse directories (to restart a daemon on the same state). */
  dir?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Keep the directory after the test (when a later daemon reuses it). */
  keepDir?: boolean;
}

function waitExit(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

/** GET /_ping until it answers (bounded: 150 tries over at most ~15 s). */
export async function waitForSocket(socket: string, proc?: ChildProcess): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (proc && (proc.exitCode !== null || proc.signalCode !== null)) throw new Error('berthd exited during start-up');
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ socketPath: socket, path: '/_ping', timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`berthd did not answer on ${socket}`);
}

export async function startDaemon(t: Pick<TestContext, 'after'> | undefined, opts: DaemonOptions = {}): Promise<TestDaemon> {
  // Short paths: conmon's attach socket path must stay under 108 bytes.
  const dir = opts.dir ?? (await mkdtemp('/tmp/bt-'));
  const dataRoot = join(dir, 'data');
  const execRoot = join(dir, 'run');
  const socket = join(execRoot, 'berth.sock');
  // An explicit (empty) config file keeps the host's /etc/berth/daemon.json out of tests.
  if (!existsSync(join(dir, 'daemon.json'))) await writeFile(join(dir, 'daemon.json'), '{}\n');
  let out = '';
  const proc = spawn(BERTHD, ['--data-root', dataRoot, '--exec-root', execRoot, '--config-file', join(dir, 'daemon.json'), '-H', `unix://${socket}`, ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(opts.env ?? {}) },
  });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const d: TestDaemon = {
    dir,
    dataRoot,
    execRoot,
    socket,
    host: `unix://${socket}`,
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await waitExit(proc);
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await waitExit(proc);
    },
  };
  t?.after(async () => {
    await d.stop();
    if (!opts.keepDir && !opts.dir) await rm(dir, { recursive: true, force: true });
  });
  try {
    await waitForSocket(socket, proc);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- berthd output ---\n${out}`);
  }
  return d;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (bounded by `timeoutMs`), optionally feeding stdin. */
export function run(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string | Buffer; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...(opts.env ?? {}) }, stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    p.stdin.on('error', () => {});
    p.stdin.end(opts.input ?? '');
  });
}

/** `berth -H <daemon> ARGS` */
/**
 * Relative times ("Up 2 seconds", "3 seconds ago") move on between two commands run one after
 * the other: compare them as a placeholder, and column padding (which follows their width) as
 * one space.
 */
export function timeless(text: string): string {
  return text.replace(/(Less than a second|About a minute|About an hour|\d+ (seconds?|minutes|hours))/g, '<t>').replace(/ {2,}/g, '  ');
}

export function berth(d: Pick<TestDaemon, 'host'>, args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<RunResult> {
  return run(BERTH, ['-H', d.host, ...args], opts);
}

/** The real docker CLI against berthd. */
export function docker(d: Pick<TestDaemon, 'host'>, args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<RunResult> {
  return run('docker', args, { ...opts, env: { DOCKER_HOST: d.host, DOCKER_CONFIG: '/tmp/berth-test-docker-config', ...(opts.env ?? {}) } });
}

/** A raw HTTP request on the daemon's socket. */
export function request(
  d: Pick<TestDaemon, 'socket'>,
  method: string,
  path: string,
  opts: { body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method, path, headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
