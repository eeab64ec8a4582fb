/**
 * ContainerRuntime: the one object the container service drives. It ties the OCI runtime
 * (runc/crun), conmon, the exec-root layout, the attach socket, the ctl FIFO and the exit
 * watcher together; each method is one lifecycle step. State of its own: none beyond the
 * exec-root files, so a fresh instance after a daemon restart sees everything the old one did.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { attachSocket, type AttachOptions, type AttachStream } from './attach.js';
import { createContainer, execInContainer, type ConmonContext, type ExecSession } from './conmon.js';
import type { ContainerPaths, Created, CreateOptions, ExecOptions, ExitInfo, RecoveredContainer, RuntimeOptions } from './contract.js';
import { reopenLog, resizeTerminal } from './ctl.js';
import { ExitWatcher, readExitFile } from './exits.js';
import type { OciResources, OciState } from './oci-config.js';
import { OciRuntime } from './oci-runtime.js';
import { containerPaths, execPaths, exitsDir } from './paths.js';
import { liveConmonPid, recoverContainer } from './recover.js';
import type { RuntimeStats } from './stats.js';

/** How long `remove` waits for a killed container's conmon to record the exit. */
const REMOVE_WAIT_MS = 10_000;

/** The promise's value, or undefined once `ms` have passed. */
export async function raceTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ContainerRuntimeOptions extends RuntimeOptions {
  conmonPath?: string;
  /** Exit-directory scan interval (the fallback to inotify). */
  exitPollMs?: number;
}

export class ContainerRuntime {
  readonly exits: ExitWatcher;
  private readonly ctx: ConmonContext;

  private constructor(
    readonly runtime: OciRuntime,
    readonly execRoot: string,
    conmonPath: string | undefined,
    exitPollMs: number | undefined,
  ) {
    this.ctx = { runtime, execRoot, conmonPath };
    this.exits = new ExitWatcher(exitsDir(execRoot), (id) => this.pathsOrUndefined(id)?.oomFile, exitPollMs);
  }

  static async open(o: ContainerRuntimeOptions): Promise<ContainerRuntime> {
    const runtime = await OciRuntime.open(o);
    const rt = new ContainerRuntime(runtime, o.execRoot, o.conmonPath, o.exitPollMs);
    await rt.exits.start();
    return rt;
  }

  close(): void {
    this.exits.stop();
  }

  paths(id: string): ContainerPaths {
    return containerPaths(this.execRoot, id);
  }

  private pathsOrUndefined(id: string): ContainerPaths | undefined {
    try {
      return this.paths(id);
    } catch {
      return undefined;
    }
  }

  /** Write the bundle and create the container under conmon (not started yet). */
  create(o: CreateOptions): Promise<Created> {
    return createContainer(this.ctx, o);
  }

  start(id: string): Promise<void> {
    return this.runtime.start(id);
  }

  /** Connect to the container's stdio (its conmon must be running). */
  attach(id: string, opts?: AttachOptions): AttachStream {
    return attachSocket(this.paths(id).attach, opts);
  }

  resize(id: string, height: number, width: number): Promise<void> {
    return resizeTerminal(this.paths(id).ctl, height, width);
  }

  /** After the log was renamed: make conmon open a fresh one (see LogRotator). */
  reopenLog(id: string): Promise<void> {
    return reopenLog(this.paths(id).ctl);
  }

  kill(id: string, signal: string | number = 'TERM', all = false): Promise<void> {
    return this.runtime.kill(id, signal, all);
  }

  /**
   * Docker's stop: the stop signal, then SIGKILL after `timeoutSec` (negative: wait forever).
   * Resolves with the exit once conmon has recorded it.
   */
  async stop(id: string, signal: string | number = 'TERM', timeoutSec = 10): Promise<ExitInfo> {
    const already = await this.exitOf(id);
    if (already) return already;
    const exited = this.waitExit(id);
    await this.runtime.kill(id, signal).catch(() => undefined);
    if (timeoutSec >= 0 && (await raceTimeout(exited, timeoutSec * 1000)) === undefined) {
      await this.runtime.kill(id, 'KILL').catch(() => undefined);
    }
    return exited;
  }

  pause(id: string): Promise<void> {
    return this.runtime.pause(id);
  }

  resume(id: string): Promise<void> {
    return this.runtime.resume(id);
  }

  update(id: string, resources: Omit<OciResources, 'devices'>): Promise<void> {
    return this.runtime.update(id, resources);
  }

  ps(id: string): Promise<number[]> {
    return this.runtime.ps(id);
  }

  stats(id: string, cgroupsPath: string): Promise<RuntimeStats> {
    return this.runtime.stats(id, cgroupsPath);
  }

  state(id: string): Promise<OciState | undefined> {
    return this.runtime.state(id);
  }

  /** The recorded exit, if the container has exited. */
  exitOf(id: string): Promise<ExitInfo | undefined> {
    const p = this.paths(id);
    return readExitFile(p.exitDirFile, p.oomFile).then((e) => e ?? readExitFile(p.exitFile, p.oomFile));
  }

  /** Resolves when conmon records the container's exit (at once if it already has). */
  waitExit(id: string, signal?: AbortSignal): Promise<ExitInfo> {
    return this.exits.wait(id, signal);
  }

  exec(id: string, o: ExecOptions): Promise<ExecSession> {
    return execInContainer(this.ctx, id, o);
  }

  resizeExec(id: string, execId: string, height: number, width: number): Promise<void> {
    return resizeTerminal(execPaths(this.execRoot, id, execId).ctl, height, width);
  }

  /** The exec's exit code once recorded (e.g. after a daemon restart), else undefined. */
  async execExitCode(id: string, execId: string): Promise<number | undefined> {
    return (await readExitFile(execPaths(this.execRoot, id, execId).exitFile))?.exitCode;
  }

  removeExec(id: string, execId: string): Promise<void> {
    return fsp.rm(execPaths(this.execRoot, id, execId).dir, { recursive: true, force: true });
  }

  recover(id: string): Promise<RecoveredContainer> {
    return recoverContainer(this.runtime, this.paths(id), id);
  }

  /** IDs that have a bundle in the exec-root (what a restarted daemon should look at). */
  async bundles(): Promise<string[]> {
    return fsp.readdir(path.join(this.execRoot, 'containers')).catch(() => [] as string[]);
  }

  /**
   * Forget a container at the runtime level: the runtime's record and cgroup (killing what is
   * left), the exit file and the bundle. Its rootfs and log are the caller's.
   */
  async remove(id: string): Promise<void> {
    const p = this.paths(id);
    const conmonAlive = (await liveConmonPid(p.conmonPidFile, id)) !== undefined;
    const exited = conmonAlive ? this.waitExit(id) : undefined;
    await this.runtime.delete(id, true);
    // Let conmon record the exit before its files go, so no stale exit file is left behind.
    if (exited) await raceTimeout(exited, REMOVE_WAIT_MS);
    await fsp.rm(p.exitDirFile, { force: true });
    this.exits.forget(id);
    await fsp.rm(p.bundle, { recursive: true, force: true });
  }
}
