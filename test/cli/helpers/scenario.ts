/**
 * Canned daemon behaviour for the container flows (create → attach → wait → start, exec) and the
 * harness that plays one scenario to docker and to berth and returns both sides.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { FakeEngine, frame, transcript, type HijackContext, type RecordedRequest, type Route, type TranscriptEntry } from './fake-engine.js';
import { clientArgv, clientEnv, runInPty, runProcess, type Client, type ClientResult, type RunOptions } from './clients.js';

export const CID = '9ffda96495f820b13c8b6e50791c417272ba005ca57b5badbab4bdfc07a6d5ee';
export const EID = 'b28f9bf9ac3f6b98fb1c7c04f115234f506f16316f4b936a55c547fac8ffb3c1';
/** Engine API answers recorded from dockerd (copied from the shared reference folder). */
export const FIXTURES = new URL('../../../../test/fixtures/docker-api/', import.meta.url).pathname;

export function reference<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** What the fake container (or exec) process does once started. */
export interface ProgramSpec {
  tty?: boolean;
  /** Output written after start (after stdin EOF when `echoStdin`). */
  output?: Array<[1 | 2, string]>;
  /** cat-like: stdin copied to stdout (as one frame) once stdin is closed. */
  echoStdin?: boolean;
  /** Wait until the received stdin contains this text before finishing (interactive sessions). */
  untilStdin?: string;
  /** Printed as soon as the process starts (a shell prompt). */
  banner?: string;
  exitCode?: number;
  /** Never exits (a detached `sleep`), unless killed. */
  runForever?: boolean;
  /** Exit status when `POST /containers/{id}/kill` arrives (the process dies of the signal). */
  exitOnKill?: number;
}

function stdinContains(ctx: HijackContext, text: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if ((ctx.req.stdin ?? '').includes(text)) resolve();
    };
    ctx.socket.on('data', () => setImmediate(check));
    void ctx.stdinEnded.then(resolve);
    check();
  });
}

/** Drive a hijacked stream as the given program once `started` resolves; returns when done. */
async function play(ctx: HijackContext, spec: ProgramSpec, started: Promise<void>, failed?: Promise<void>, killed?: Promise<void>): Promise<void> {
  const emit = (stream: 1 | 2, text: string) => ctx.socket.write(spec.tty ? Buffer.from(text) : frame(stream, text));
  if ((await Promise.race([started.then(() => 'started'), failed?.then(() => 'failed')])) === 'failed') {
    ctx.socket.end();
    return;
  }
  if (spec.banner) emit(1, spec.banner);
  if (spec.untilStdin) await stdinContains(ctx, spec.untilStdin);
  if (spec.echoStdin) {
    await ctx.stdinEnded;
    if (ctx.req.stdin) emit(1, ctx.req.stdin);
  }
  for (const [stream, text] of spec.output ?? []) emit(stream, text);
  if (spec.runForever) await (killed ?? new Promise(() => undefined));
  await new Promise((r) => setTimeout(r, 20));
  ctx.socket.end();
}

export interface ContainerScenario {
  program?: ProgramSpec;
  /** The first create answers 404 No such image; then a pull happens. */
  missingImage?: boolean;
  /** Reply of the pull (default: a short successful progress stream). */
  pullChunks?: string[];
  pullStatus?: number;
  pullError?: string;
  createStatus?: number;
  createMessage?: string;
  createWarnings?: string[];
  startStatus?: number;
  startMessage?: string;
  /** Exec program (for `exec`). */
  exec?: ProgramSpec;
  /** Inspect answer for `GET /containers/{name}/json`. */
  inspect?: unknown;
  /** Extra routes tried before the built-in ones. */
  routes?: Route[];
  /** The container runs already (attach): its program starts with the attach. */
  alreadyRunning?: boolean;
}

/** Routes emulating one container through create, attach, wait, start, resize, kill and exec. */
export function containerRoutes(s: ContainerScenario): Route[] {
  const program = s.program ?? {};
  let markStarted!: () => void;
  const started = new Promise<void>((r) => (markStarted = r));
  let markFailed!: () => void;
  const failed = new Promise<void>((r) => (markFailed = r));
  let markKilled!: () => void;
  const killed = new Promise<void>((r) => (markKilled = r));
  let markExited!: (code: number) => void;
  const exited = new Promise<number>((r) => (markExited = r));
  let attached = false;
  if (s.alreadyRunning) markStarted();
  void started.then(() => {
    if (!attached && !program.runForever) setTimeout(() => markExited(program.exitCode ?? 0), 20);
  });
  let execExit: number | undefined;
  const inspect = s.inspect ?? { ...reference<Record<string, unknown>>('container-inspect-running.response.json'), Id: CID };
  const routes: Route[] = [
    ...(s.routes ?? []),
    ...(s.missingImage
      ? [{ method: 'POST', path: /^\/containers\/create$/, times: 1, answer: { status: 404, json: { message: 'No such image: busybox:latest' } } }]
      : []),
    {
      method: 'POST',
      path: /^\/images\/create$/,
      answer: () =>
        s.pullStatus && s.pullStatus >= 400
          ? { status: s.pullStatus, json: { message: s.pullError ?? 'pull failed' } }
          : {
              status: 200,
              headers: { 'Content-Type': 'application/json' },
              chunks: (s.pullChunks ?? [
                '{"status":"Pulling from library/busybox","id":"latest"}\r\n',
                '{"status":"Pulling fs layer","progressDetail":{},"id":"9a0484f7bcc7"}\r\n',
                '{"status":"Pull complete","progressDetail":{},"id":"9a0484f7bcc7"}\r\n',
                '{"status":"Digest: sha256:5beb99407cdc27ed797fc1a4f4a0e8bceeff624ebb57e8bbfad8d57a213cb0f2"}\r\n',
                '{"status":"Status: Downloaded newer image for busybox:latest"}\r\n',
              ]),
            },
    },
    {
      method: 'POST',
      path: /^\/containers\/create$/,
      answer: s.createStatus
        ? { status: s.createStatus, json: { message: s.createMessage ?? 'create failed' } }
        : { status: 201, json: { Id: CID, Warnings: s.createWarnings ?? [] } },
    },
    {
      method: 'POST',
      path: /^\/containers\/[^/]+\/attach$/,
      hijack: async (ctx) => {
        attached = true;
        await play(ctx, program, started, failed, killed);
        markExited(program.exitCode ?? 0);
      },
    },
    {
      method: 'POST',
      path: /^\/containers\/[^/]+\/wait$/,
      answer: async (_req, _engine, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': '1.41' });
        res.flushHeaders();
        const code = await exited;
        await new Promise((r) => setTimeout(r, 30));
        if (!res.destroyed) res.end(JSON.stringify({ Error: null, StatusCode: code }) + '\n');
        return 'handled' as const;
      },
    },
    {
      method: 'POST',
      path: /^\/containers\/[^/]+\/start$/,
      answer: () => {
        if (s.startStatus) {
          // The daemon cleans up a failed --rm container: waiters see it go.
          setTimeout(() => markExited(127), 20);
          markFailed();
          return { status: s.startStatus, json: { message: s.startMessage ?? 'start failed' } };
        }
        markStarted();
        return { status: 204 };
      },
    },
    { method: 'POST', path: /^\/containers\/[^/]+\/resize$/, answer: { status: 200, headers: { 'Content-Length': '0' } } },
    {
      method: 'POST',
      path: /^\/containers\/[^/]+\/kill$/,
      answer: () => {
        if (program.exitOnKill !== undefined) {
          program.exitCode = program.exitOnKill;
          markKilled();
        }
        return { status: 204 };
      },
    },
    { method: 'GET', path: /^\/containers\/[^/]+\/json$/, answer: { status: 200, json: inspect } },
    { method: 'POST', path: /^\/containers\/[^/]+\/exec$/, answer: { status: 201, json: { Id: EID } } },
    {
      method: 'POST',
      path: /^\/exec\/[^/]+\/start$/,
      hijack: async (ctx) => {
        await play(ctx, s.exec ?? {}, Promise.resolve());
        execExit = s.exec?.exitCode ?? 0;
      },
      answer: { status: 200, headers: { 'Content-Length': '0' } },
    },
    { method: 'POST', path: /^\/exec\/[^/]+\/resize$/, answer: { status: 200, headers: { 'Content-Length': '0' } } },
    {
      method: 'GET',
      path: /^\/exec\/[^/]+\/json$/,
      answer: () => ({
        status: 200,
        json: { ...reference<Record<string, unknown>>('exec-inspect.response.json'), ID: EID, Running: false, ExitCode: execExit ?? s.exec?.exitCode ?? 0 },
      }),
    },
  ];
  return routes;
}

export interface Side {
  result: ClientResult;
  requests: TranscriptEntry[];
}

export interface PlayOptions extends RunOptions {
  /** Run inside a pseudo-terminal and type this. */
  pty?: { input: string; rows?: number; cols?: number };
  /** Send `signal` once a request matching this has arrived (instead of after a delay). */
  signalWhen?: (r: RecordedRequest) => boolean;
}

/** Play a fresh copy of the scenario to one client. */
export async function playTo(client: Client, args: string[], routes: () => Route[], opts: PlayOptions = {}): Promise<Side> {
  const dir = await mkdtemp(join(tmpdir(), 'bfe-'));
  const engine = new FakeEngine(dir, routes());
  await engine.listen();
  try {
    const argv = clientArgv(client, engine.host, args);
    const env = clientEnv(client, engine.host, dir, opts.env);
    const result = opts.pty
      ? await runInPty(argv, env, opts.pty.input, opts.pty.rows, opts.pty.cols, opts.timeoutMs)
      : await runProcess(argv, env, {
          ...opts,
          cwd: opts.cwd ?? dir,
          signalOn: opts.signalWhen ? engine.waitFor(opts.signalWhen).then(() => new Promise((r) => setTimeout(r, 300))) : undefined,
        });
    // Each side has its own temporary directory: name it the same in both transcripts.
    const norm = (text: string) => text.split(dir).join('<DIR>');
    const requests = JSON.parse(norm(JSON.stringify(transcript(engine.requests)))) as TranscriptEntry[];
    return { result: { stdout: norm(result.stdout), stderr: norm(result.stderr), code: result.code }, requests };
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** docker's messages name the program; berth's name itself. */
export function asBerth(text: string): string {
  return text.replace(/\bdocker\b/g, 'berth');
}

/** Play the scenario to docker and to berth (in parallel) and return both sides. */
export async function playBoth(args: string[], routes: () => Route[], opts: PlayOptions = {}): Promise<{ docker: Side; berth: Side }> {
  const [docker, berth] = await Promise.all([playTo('docker', args, routes, opts), playTo('berth', args, routes, opts)]);
  docker.result.stderr = asBerth(docker.result.stderr);
  return { docker, berth };
}
