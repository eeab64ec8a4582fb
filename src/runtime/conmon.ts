/**
 * Containers and execs under conmon (runtime.md 2.3–2.6). berthd spawns the conmon launcher
 * detached, with the sync and start pipes as extra stdio fds; the launcher forks the real monitor
 * (reparented away from berthd, in its own session) and exits. The monitor runs `<runtime>
 * create` (or `exec`), reports the pid on the sync pipe, holds the stdio, writes the k8s-file
 * log, serves the attach socket and ctl FIFO, and records the exit status. berthd is never the
 * parent of a container, and the container outlives berthd.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { BerthError, conflict, internal, unavailable } from '../core/errors.js';
import { ensureDir, writeFileAtomic } from '../core/fsutil.js';
import { attachSocket, type AttachStream } from './attach.js';
import type { Created, CreateOptions, ExecOptions } from './contract.js';
import { readExitFile } from './exits.js';
import { specToJson } from './oci-config.js';
import { findOnPath, runtimeErrorMessage, type OciRuntime } from './oci-runtime.js';
import { containerPaths, execPaths, exitsDir, type ExecPaths } from './paths.js';
import { liveConmonPid } from './recover.js';
import { SyncPipe, type SyncMessage } from './sync-pipe.js';

/** How long `runtime create`/`exec` may take before conmon is given up on. */
const SYNC_TIMEOUT_MS = 120_000;

export interface ConmonContext {
  runtime: OciRuntime;
  execRoot: string;
  /** Default: conmon on PATH. */
  conmonPath?: string;
}

export function conmonBinary(ctx: ConmonContext): string {
  const p = ctx.conmonPath ?? findOnPath('conmon');
  if (!p) throw unavailable('ERR_CONMON_MISSING', 'conmon not found', { hint: 'install the Debian package conmon' });
  return p;
}

/**
 * Docker's exit code for a container or exec that could not be started, from the runtime's
 * message (moby translateContainerdStartErr): 126 cannot be invoked, 127 not found, else 125.
 */
export function startFailureExitCode(message: string): 125 | 126 | 127 {
  if (/permission denied/i.test(message)) return 126;
  if (/executable file not found|no such file or directory|not a directory/i.test(message)) return 127;
  return 125;
}

/** The BerthError of a failed `runtime create/exec`, with Docker's exit code in `detail.exitCode`. */
export function startFailure(op: 'create' | 'exec', message: string): BerthError {
  const exitCode = startFailureExitCode(message);
  return new BerthError(exitCode === 125 ? 'internal' : 'invalid', op === 'create' ? 'ERR_RUNTIME_CREATE' : 'ERR_RUNTIME_EXEC', `OCI runtime ${op} failed: ${message}`, {
    detail: { exitCode },
  });
}

interface Launch {
  sync: SyncPipe;
  start: Writable;
  attachReady?: SyncPipe;
  launcherExit: Promise<number>;
  stderrDone: Promise<void>;
  stderr(): string;
  close(): void;
}

function launch(conmon: string, args: string[], cwd: string, attachPipe: boolean): Launch {
  const stdio: StdioOptions = ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'];
  const env: NodeJS.ProcessEnv = { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' };
  if (attachPipe) {
    stdio.push('pipe');
    env._OCI_ATTACHPIPE = '5';
  }
  const child = spawn(conmon, args, { stdio, env, cwd, detached: true });
  const errText: Buffer[] = [];
  child.stderr?.on('data', (b: Buffer) => errText.push(b));
  // conmon's own errors (bad flags, missing runtime) come before its fork, so before stderr closes.
  const stderrDone = new Promise<void>((resolve) => {
    child.stderr?.on('close', () => resolve());
    child.stderr?.on('end', () => resolve());
  });
  const launcherExit = new Promise<number>((resolve) => {
    child.on('error', (e) => {
      errText.push(Buffer.from(e.message));
      resolve(-1);
    });
    child.on('exit', (code) => resolve(code ?? -1));
  });
  // The pipes keep the event loop alive while berthd waits on conmon; close() releases them.
  const pipes = child.stdio as unknown as (Readable & Writable)[];
  // A conmon that dies early closes its ends: writes then fail with EPIPE, which must not crash berthd.
  for (const p of pipes.slice(2)) p?.on('error', () => undefined);
  return {
    sync: new SyncPipe(pipes[3]),
    start: pipes[4],
    attachReady: attachPipe ? new SyncPipe(pipes[5]) : undefined,
    launcherExit,
    stderrDone,
    stderr: () => Buffer.concat(errText).toString('utf8').trim(),
    close: () => {
      for (const p of pipes.slice(2)) p?.destroy();
      child.unref();
    },
  };
}

/** The next sync message, or a clear error when conmon died or hung first. */
async function nextSync(l: Launch, pipe: SyncPipe, what: string): Promise<SyncMessage> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), SYNC_TIMEOUT_MS);
    timer.unref();
  });
  const msg = await Promise.race([pipe.next(), timeout]).finally(() => clearTimeout(timer));
  if (msg === 'timeout') throw internal('ERR_CONMON_TIMEOUT', `conmon did not report ${what} within ${SYNC_TIMEOUT_MS / 1000}s`);
  if (msg === undefined) {
    await l.launcherExit;
    await l.stderrDone;
    throw internal('ERR_CONMON', `conmon failed before reporting ${what}: ${l.stderr() || 'no message'}`);
  }
  return msg;
}

async function failureMessage(msg: SyncMessage, runtimeLog: string): Promise<string> {
  const fromLog = runtimeErrorMessage(await fsp.readFile(runtimeLog, 'utf8').catch(() => ''));
  return fromLog || runtimeErrorMessage(msg.message ?? '') || 'unknown error';
}

async function removeIfExists(...files: string[]): Promise<void> {
  await Promise.all(files.map((f) => fsp.rm(f, { force: true })));
}

function runtimeArgs(ctx: ConmonContext, logFile: string): string[] {
  return ctx.runtime.globalArgs(logFile).flatMap((a) => ['--runtime-arg', a]);
}

function stdioArgs(tty: boolean, stdin: boolean, leaveStdinOpen: boolean): string[] {
  const args = tty ? ['-t'] : [];
  if (stdin) args.push('-i');
  if (stdin && leaveStdinOpen) args.push('--leave-stdin-open');
  return args;
}

/**
 * Write the bundle, start conmon and have it run `<runtime> create`. The container exists (its
 * process waits in runc init) when this returns; attach now if needed, then call `runtime.start`.
 */
export async function createContainer(ctx: ConmonContext, o: CreateOptions): Promise<Created> {
  const conmon = conmonBinary(ctx);
  const p = containerPaths(ctx.execRoot, o.id);
  const previous = await ctx.runtime.state(o.id);
  if (previous && previous.status !== 'stopped') throw conflict('ERR_CONTAINER_EXISTS', `container ${o.id} is already ${previous.status}`);
  if (previous) await ctx.runtime.delete(o.id);
  await ensureDir(p.bundle, 0o700);
  await removeIfExists(p.exitFile, p.oomFile, p.exitDirFile, p.attach, p.ctl, p.pidFile, p.conmonPidFile, p.runtimeLog, path.join(p.bundle, 'winsz'));
  await writeFileAtomic(p.config, specToJson(o.spec), { mode: 0o600, noSync: true });
  await ensureDir(exitsDir(ctx.execRoot), 0o700);
  await ensureDir(path.dirname(o.logPath), 0o710);

  const tty = o.spec.process.terminal === true;
  const args = [
    '--api-version', '1',
    '-c', o.id, '-u', o.id, '-n', o.name ?? o.id,
    '-r', ctx.runtime.entry, ...runtimeArgs(ctx, p.runtimeLog),
    '-b', p.bundle, '-p', p.pidFile, '-P', p.conmonPidFile, '-0', p.bundle,
    '--exit-dir', exitsDir(ctx.execRoot),
    '-l', `k8s-file:${o.logPath}`,
    '--full-attach', '--socket-dir-path', p.bundle,
    // Docker does not fsync container logs either; an fsync per exit costs a disk flush.
    '--no-sync-log',
    // A tty's stdin stays open across attach sessions (docker attach after a detach), as in Docker.
    ...stdioArgs(tty, o.stdin === true, tty || o.stdinOnce !== true),
  ];
  if (o.logSizeMax && o.logSizeMax > 0) args.push('--log-size-max', String(o.logSizeMax));
  if (o.exitCommand) {
    args.push('--exit-command', o.exitCommand.path);
    for (const a of o.exitCommand.args ?? []) args.push('--exit-command-arg', a);
  }

  const l = launch(conmon, args, p.bundle, false);
  try {
    l.start.write('s');
    const msg = await nextSync(l, l.sync, 'the container pid');
    if (msg.data <= 0) throw startFailure('create', await failureMessage(msg, p.runtimeLog));
    await l.launcherExit;
    const conmonPid = Number((await fsp.readFile(p.conmonPidFile, 'utf8')).trim());
    return { pid: msg.data, conmonPid };
  } catch (e) {
    await abandonCreate(ctx, o.id);
    throw e;
  } finally {
    l.close();
  }
}

/** After a failed create: no conmon, runtime record, cgroup or bundle is left behind. */
async function abandonCreate(ctx: ConmonContext, id: string): Promise<void> {
  const p = containerPaths(ctx.execRoot, id);
  const pid = await liveConmonPid(p.conmonPidFile, id);
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await ctx.runtime.delete(id, true).catch(() => undefined);
  await fsp.rm(p.bundle, { recursive: true, force: true });
  await fsp.rm(p.exitDirFile, { force: true });
}

export interface ExecSession {
  /** The exec's process on the host. */
  pid: number;
  paths: ExecPaths;
  /** The exec's output and stdin (with `attach`); it ends only after `exitCode` is known. */
  stream?: AttachStream;
  /** Docker's exit code of the exec (128+N after a signal). */
  exitCode: Promise<number>;
}

/** Run a process in a running container under its own conmon (`conmon -e`). */
export async function execInContainer(ctx: ConmonContext, id: string, o: ExecOptions): Promise<ExecSession> {
  const conmon = conmonBinary(ctx);
  const ep = execPaths(ctx.execRoot, id, o.execId);
  await fsp.rm(ep.dir, { recursive: true, force: true });
  await ensureDir(ep.dir, 0o700);
  await writeFileAtomic(ep.processSpec, specToJson(o.process), { mode: 0o600, noSync: true });

  const tty = o.process.terminal === true;
  const args = [
    '--api-version', '1',
    '-c', id, '-u', o.execId, '-n', id,
    '-r', ctx.runtime.entry, ...runtimeArgs(ctx, ep.runtimeLog),
    '-b', ep.dir, '-p', ep.pidFile, '-P', ep.conmonPidFile, '-0', ep.dir, '--exit-dir', ep.dir,
    // conmon 2.1.6 drops an exec's stderr on the attach socket when it has no log driver, so the exec logs to a file.
    '-l', `k8s-file:${ep.log}`,
    '--full-attach', '--socket-dir-path', ep.dir, '--no-sync-log',
    '-e', '--exec-process-spec', ep.processSpec,
    ...(o.attach ? ['--exec-attach'] : []),
    ...stdioArgs(tty, o.stdin === true, false),
  ];

  const l = launch(conmon, args, ep.dir, o.attach);
  let stream: AttachStream | undefined;
  let settle!: (code: number | Error) => void;
  const exitCode = new Promise<number>((resolve, reject) => {
    settle = (v) => (typeof v === 'number' ? resolve(v) : reject(v));
  });
  exitCode.catch(() => undefined);
  try {
    l.start.write('s');
    if (l.attachReady) {
      // conmon listens on the exec's attach socket now; connect before the process may print anything.
      await nextSync(l, l.attachReady, 'the attach socket');
      stream = attachSocket(ep.attach, { holdEndUntil: exitCode });
      l.start.write('s');
    }
    const first = await nextSync(l, l.sync, 'the exec pid');
    if (first.data <= 0) {
      stream?.detach();
      throw startFailure('exec', await failureMessage(first, ep.runtimeLog));
    }
    void l.sync.next().then(async (last) => {
      l.close();
      if (last && last.data >= 0) return settle(last.data);
      const info = await readExitFile(ep.exitFile).catch(() => undefined);
      settle(info ? info.exitCode : internal('ERR_EXEC_EXIT_UNKNOWN', `the exit status of exec ${o.execId} was not recorded`));
    });
    return { pid: first.data, paths: ep, stream, exitCode };
  } catch (e) {
    l.close();
    throw e;
  }
}
