/**
 * The container service: the lifecycle state machine of every container (create, start, stop,
 * kill, restart, pause, remove, wait), restart policies, and live restore. Containers run under
 * conmon (the runtime domain), never as children of berthd, so a daemon restart re-adopts them
 * from disk: the records here plus the runtime's exec-root files.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Digest } from '../core/digest.js';
import { BerthError, conflict, invalid, isKind, notFound } from '../core/errors.js';
import { nowRfc3339Nano, parseRamSize, rfc3339FromNs, ZERO_TIME } from '../core/humanize.js';
import { logger } from '../core/log.js';
import { KeyedMutex } from '../core/mutex.js';
import type { EventBus } from '../daemon/events.js';
import type { ImageService } from '../image/service.js';
import { familiarReference, parseReference } from '../image/reference.js';
import type { AttachStream } from '../runtime/attach.js';
import type { ExitInfo, OciSpec } from '../runtime/contract.js';
import { LogRotator } from '../runtime/log-rotate.js';
import type { ContainerRuntime } from '../runtime/supervisor.js';
import { liveConmonPid } from '../runtime/recover.js';
import { exists, writeFileAtomic } from '../core/fsutil.js';
import type { Snapshotter } from '../snapshot/contract.js';
import { mountRootfs, prepareSpec, unmountRootfs } from './bundle.js';
import type { ContainerRecord, ContainerState, CreateRequest } from './contract.js';
import { planContainer } from './create.js';
import { writeEtcFiles } from './etc-files.js';
import { checkName, generateName } from './names.js';
import { Backoff, restartOnDaemonStart, shouldRestart } from './restart.js';
import { parseSignal, SIGKILL } from './signals.js';
import type { ContainerStore } from './store.js';

const log = logger('container');

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';
export interface WaitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

interface Waiter {
  condition: WaitCondition;
  resolve: (r: WaitResult) => void;
}

/** What the service keeps in memory per container (rebuilt after a restart). */
interface Live {
  runStartedMs: number;
  backoff: Backoff;
  restartTimer?: NodeJS.Timeout;
  /** Attach requests that arrived before start (docker run attaches first). */
  pendingAttach: Array<(stream: AttachStream | undefined) => void>;
  /** Resolves when the current run's exit has been fully processed. */
  exited?: Promise<void>;
  exitWatch?: AbortController;
  rotator?: LogRotator;
  /** The process of the running container's spec (execs start from it). */
  spec?: OciSpec;
  /** The runtime no longer knows the container (its run was cleaned up): removal skips that step. */
  runtimeClean?: boolean;
  /** The runtime's cleanup of the last run, while it is in flight (see cleanRuntime). */
  runtimeCleanup?: Promise<void>;
}

export interface ContainerServiceDeps {
  store: ContainerStore;
  images: ImageService;
  snapshots: Snapshotter;
  events: EventBus;
  /** The runtime for a container's HostConfig.Runtime. */
  runtime(name: string): Promise<ContainerRuntime>;
  runtimes: Record<string, string>;
  defaultRuntime: string;
}

export function isActive(s: ContainerState): boolean {
  return s.status === 'running' || s.status === 'paused' || s.status === 'restarting';
}

/** A client can attach: at once when it runs, or at its next start (created, exited, restarting). */
export function attachable(s: ContainerState): boolean {
  return isActive(s) || s.status === 'created' || s.status === 'exited';
}

export class ContainerService {
  private readonly live = new Map<string, Live>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly ops = new KeyedMutex();
  private watchdog?: NodeJS.Timeout;
  /** Runtime cleanups still running in the background (awaited by drain()). */
  private readonly cleanups = new Set<Promise<void>>();

  constructor(private readonly deps: ContainerServiceDeps) {}

  /**
   * Watch the monitors: a conmon that died without recording an exit (killed, OOM-killed on the
   * host) would leave its container unsupervised and every wait on it hanging. Such a container
   * is killed and its exit recorded as 255 in conmon's place, so the normal exit path runs.
   */
  startWatchdog(intervalMs = 5000): void {
    this.watchdog = setInterval(() => void this.checkMonitors().catch((e: unknown) => log.warn('monitor check failed', { error: (e as Error).message })), intervalMs);
    this.watchdog.unref();
  }

  stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
  }

  private async checkMonitors(): Promise<void> {
    for (const rec of this.deps.store.all()) {
      if (rec.state.status !== 'running' && rec.state.status !== 'paused') continue;
      const runtime = await this.runtimeFor(rec);
      const paths = runtime.paths(rec.id);
      if ((await liveConmonPid(paths.conmonPidFile, rec.id)) !== undefined) continue;
      if (await runtime.exitOf(rec.id)) continue;
      // Still nothing recorded after the check: conmon is gone for good.
      if (!isActive(this.deps.store.get(rec.id)?.state ?? rec.state)) continue;
      log.error('container monitor died without recording an exit; stopping the container', { id: rec.id });
      await runtime.kill(rec.id, SIGKILL).catch(() => undefined);
      await writeFileAtomic(paths.exitDirFile, '255', { noSync: true });
    }
  }

  get store(): ContainerStore {
    return this.deps.store;
  }

  private liveOf(id: string): Live {
    let l = this.live.get(id);
    if (!l) {
      l = { runStartedMs: 0, backoff: new Backoff(), pendingAttach: [] };
      this.live.set(id, l);
    }
    return l;
  }

  dir(id: string): string {
    return this.deps.store.dir(id);
  }

  resolve(ref: string): ContainerRecord {
    return this.deps.store.resolve(ref);
  }

  runtimeFor(rec: ContainerRecord): Promise<ContainerRuntime> {
    return this.deps.runtime(rec.hostConfig.Runtime ?? this.deps.defaultRuntime);
  }

  private event(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    const attrs: Record<string, string> = { ...(rec.config.Labels ?? {}), image: rec.config.Image ?? rec.image, name: rec.name.slice(1), ...extra };
    this.deps.events.publish('container', action, rec.id, attrs);
  }

  /**
   * Persist a record. `runState`: a run's start or end, saved without the directory fsync (the
   * content is still synced, so the record is never torn). That the newest state survives a
   * power cut does not matter: every container is dead then, and restore derives the state anew
   * (conmon gone: exited). The second flush cost time on the path of every `run`.
   */
  private async save(rec: ContainerRecord, opts: { runState?: boolean } = {}): Promise<void> {
    await this.deps.store.save(rec, { durable: opts.runState !== true });
  }

  /** Which containers use an image (for rmi conflicts), and the layers they stand on (for GC). */
  usage() {
    return {
      containersUsing: (imageId: Digest) =>
        this.deps.store
          .all()
          .filter((c) => c.image === imageId)
          .map((c) => ({ id: c.id, running: isActive(c.state) })),
    };
  }

  containerChains(): Digest[] {
    const chains = new Set<Digest>();
    for (const c of this.deps.store.all()) {
      const img = this.deps.images.index.get(c.image);
      for (const l of img?.layers ?? []) chains.add(l.chainId);
      if (c.imageChainId) chains.add(c.imageChainId);
    }
    return [...chains];
  }

  // ---- create ------------------------------------------------------------------

  async create(request: CreateRequest, name: string | undefined): Promise<{ Id: string; Warnings: string[] }> {
    if (!request.Image) throw invalid('ERR_NO_IMAGE', 'Config cannot be empty in order to create a container');
    const image = this.deps.images.resolve(request.Image);
    const imageConfig = await this.deps.images.config(image.id);
    const id = randomBytes(32).toString('hex');
    const fullName = name ? checkName(name) : generateName((n) => this.deps.store.nameTaken(n) !== undefined);
    const plan = planContainer({ request, image: imageConfig, runtimes: this.deps.runtimes, defaultRuntime: this.deps.defaultRuntime }, id);
    const holder = this.deps.store.nameTaken(fullName);
    if (holder) {
      throw conflict(
        'ERR_NAME_IN_USE',
        `Conflict. The container name "${fullName}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    this.deps.store.reserveName(fullName, id);
    const top = image.layers.at(-1)?.chainId;
    const dir = this.dir(id);
    try {
      await this.deps.snapshots.prepare(id, top);
      await fsp.mkdir(dir, { recursive: true, mode: 0o710 });
      await writeEtcFiles(dir, plan.config, plan.hostConfig);
      const rec: ContainerRecord = {
        id,
        name: fullName,
        created: nowRfc3339Nano(),
        path: plan.path,
        args: plan.args,
        config: { ...plan.config, Image: request.Image },
        hostConfig: plan.hostConfig,
        image: image.id,
        ...(top ? { imageChainId: top } : {}),
        state: { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, manuallyStopped: false, restartCount: 0 },
        logPath: path.join(dir, `${id}.log`),
        driver: 'overlayfs',
        cgroupnsApplied: true,
      };
      await this.save(rec);
      this.event(rec, 'create');
      return { Id: id, Warnings: plan.warnings };
    } catch (e) {
      this.deps.store.releaseName(fullName, id);
      await this.deps.snapshots.remove(id).catch(() => undefined);
      await fsp.rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  // ---- start -------------------------------------------------------------------

  async start(ref: string): Promise<'started' | 'already'> {
    const rec = this.resolve(ref);
    return this.ops.run(rec.id, () => this.startLocked(rec, false));
  }

  private async startLocked(rec: ContainerRecord, byPolicy: boolean): Promise<'started' | 'already'> {
    if (!this.deps.store.get(rec.id)) throw notFound('ERR_CONTAINER_NOT_FOUND', `No such container: ${rec.id}`);
    const s = rec.state;
    if (s.status === 'paused') throw conflict('ERR_CONTAINER_PAUSED', 'cannot start a paused container, try unpause instead');
    if (s.status === 'running') return 'already';
    if (s.status === 'removing' || s.status === 'dead') throw conflict('ERR_CONTAINER_REMOVING', `container is marked for removal and cannot be started`);
    const live = this.liveOf(rec.id);
    if (live.restartTimer && !byPolicy) {
      clearTimeout(live.restartTimer);
      live.restartTimer = undefined;
    }
    const dir = this.dir(rec.id);
    const runtime = await this.runtimeFor(rec);
    // The previous run's runtime record must be gone before a new one is made under the same ID.
    await live.runtimeCleanup;
    let attached: AttachStream[] = [];
    try {
      const rootfs = await mountRootfs(this.deps.snapshots, rec.id, dir);
      const spec = await prepareSpec(rec, rootfs, dir);
      const maxSize = sizeOpt(rec.hostConfig.LogConfig?.Config?.['max-size']);
      const maxFiles = Number(rec.hostConfig.LogConfig?.Config?.['max-file'] ?? 1);
      const created = await runtime.create({
        id: rec.id,
        name: rec.name.slice(1),
        spec,
        logPath: rec.hostConfig.LogConfig?.Type === 'none' ? '/dev/null' : rec.logPath,
        stdin: rec.config.OpenStdin === true,
        stdinOnce: rec.config.StdinOnce === true,
        // No --log-size-max for conmon: when it fires, it drops the file holding the newest
        // output. Rotation (below) bounds the log instead; a burst faster than the rotator can
        // overshoot max-size until the next rotation, but never loses what was written last.
      });
      live.spec = spec;
      live.runtimeClean = false;
      // Clients that attached before start get the stream from the very first byte.
      const pending = live.pendingAttach.splice(0);
      attached = pending.map(() => runtime.attach(rec.id));
      pending.forEach((cb, i) => cb(attached[i]));
      await runtime.start(rec.id);
      rec.state = {
        ...rec.state,
        status: 'running',
        pid: created.pid,
        conmonPid: created.conmonPid,
        exitCode: 0,
        error: '',
        oomKilled: false,
        startedAt: nowRfc3339Nano(),
        finishedAt: rec.state.finishedAt,
        manuallyStopped: false,
      };
      live.runStartedMs = Date.now();
      await this.save(rec, { runState: true });
      if (maxSize) {
        live.rotator = new LogRotator({ logPath: rec.logPath, ctlPath: runtime.paths(rec.id).ctl, maxSize, maxFiles });
        live.rotator.start();
      }
      this.watchExit(rec, runtime);
      this.event(rec, 'start');
      return 'started';
    } catch (e) {
      for (const a of attached) a.detach();
      for (const cb of live.pendingAttach.splice(0)) cb(undefined);
      await runtime.remove(rec.id).catch(() => undefined);
      live.runtimeClean = true;
      unmountRootfs(dir);
      const exitCode = e instanceof BerthError && typeof (e.detail as { exitCode?: number } | undefined)?.exitCode === 'number' ? (e.detail as { exitCode: number }).exitCode : 128;
      rec.state = { ...rec.state, exitCode, error: e instanceof Error ? e.message : String(e) };
      if (rec.state.status === 'restarting') rec.state.status = 'exited';
      await this.save(rec).catch(() => undefined);
      this.event(rec, 'die', { exitCode: String(exitCode) });
      if (rec.hostConfig.AutoRemove) await this.removeLocked(rec, { force: true }).catch(() => undefined);
      throw e;
    }
  }

  private watchExit(rec: ContainerRecord, runtime: ContainerRuntime): void {
    const live = this.liveOf(rec.id);
    const ac = new AbortController();
    live.exitWatch = ac;
    live.exited = runtime.waitExit(rec.id, ac.signal).then(
      (info) => this.ops.run(rec.id, () => this.onExit(rec.id, info)),
      (e: unknown) => {
        if (!ac.signal.aborted) log.error('exit watch failed', { id: rec.id, error: (e as Error).message });
      },
    );
  }

  /**
   * Forget a finished run at the runtime level (`runc delete`, the bundle and exit file) in the
   * background: it is a process spawn that nobody needs to wait for, except a new run of the same
   * container (startLocked awaits it) and a stopping daemon (drain). A daemon killed before it
   * ends leaves a bundle without a record, which sweepOrphans removes at the next start.
   */
  private cleanRuntime(id: string, live: Live, runtime: ContainerRuntime): void {
    if (live.runtimeCleanup) return;
    const done = runtime.remove(id).then(
      () => {
        live.runtimeClean = true;
      },
      (e: unknown) => log.warn('runtime cleanup failed', { id, error: (e as Error).message }),
    );
    live.runtimeCleanup = done;
    this.cleanups.add(done);
    void done.finally(() => {
      this.cleanups.delete(done);
      if (live.runtimeCleanup === done) live.runtimeCleanup = undefined;
    });
  }

  /** Wait for the background runtime cleanups (daemon shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.cleanups]);
  }

  /** A run ended: record it, clean the runtime state, then restart or auto-remove per policy. */
  private async onExit(id: string, info: ExitInfo): Promise<void> {
    const rec = this.deps.store.get(id);
    if (!rec) return;
    const live = this.liveOf(id);
    live.rotator?.stop();
    live.rotator = undefined;
    live.spec = undefined;
    const runtime = await this.runtimeFor(rec);
    this.cleanRuntime(id, live, runtime);
    unmountRootfs(this.dir(id));
    const restart = shouldRestart(rec, info.exitCode);
    rec.state = {
      ...rec.state,
      status: restart ? 'restarting' : 'exited',
      pid: 0,
      exitCode: info.exitCode,
      oomKilled: info.oomKilled,
      finishedAt: rfc3339FromNs(info.finishedAtNs),
    };
    delete rec.state.conmonPid;
    await this.save(rec, { runState: true });
    if (info.oomKilled) this.event(rec, 'oom');
    this.event(rec, 'die', { exitCode: String(info.exitCode) });
    this.fire(id, restart ? ['next-exit'] : ['next-exit', 'not-running'], { StatusCode: info.exitCode, Error: null });
    if (restart) {
      const delay = live.backoff.next(Date.now() - live.runStartedMs);
      live.restartTimer = setTimeout(() => {
        live.restartTimer = undefined;
        void this.ops.run(id, async () => {
          const cur = this.deps.store.get(id);
          if (!cur || cur.state.status !== 'restarting') return;
          cur.state.restartCount++;
          await this.startLocked(cur, true).catch((e: unknown) => log.warn('restart failed', { id, error: (e as Error).message }));
        });
      }, delay);
      return;
    }
    if (rec.hostConfig.AutoRemove) await this.removeLocked(rec, { force: true, auto: true }).catch((e: unknown) => log.warn('auto-remove failed', { id, error: (e as Error).message }));
  }

  // ---- stop / kill / restart / pause -------------------------------------------------

  private notRunning(rec: ContainerRecord): BerthError {
    return conflict('ERR_NOT_RUNNING', `Container ${rec.id} is not running`);
  }

  /**
   * Docker's stop: StopSignal (default SIGTERM), then SIGKILL after the timeout. 'already' when
   * not running. The signal is sent under the container's lock; the wait for the exit happens
   * outside it, since recording the exit takes that lock.
   */
  async stop(ref: string, timeoutSec?: number, signal?: string): Promise<'stopped' | 'already'> {
    const rec = this.resolve(ref);
    const step = await this.ops.run(rec.id, async () => {
      const live = this.liveOf(rec.id);
      if (rec.state.status === 'restarting') {
        if (live.restartTimer) clearTimeout(live.restartTimer);
        live.restartTimer = undefined;
        rec.state = { ...rec.state, status: 'exited', manuallyStopped: true };
        await this.save(rec);
        this.fire(rec.id, ['not-running'], { StatusCode: rec.state.exitCode, Error: null });
        return 'done' as const;
      }
      if (rec.state.status !== 'running' && rec.state.status !== 'paused') return 'already' as const;
      rec.state.manuallyStopped = true;
      await this.save(rec);
      const runtime = await this.runtimeFor(rec);
      if (rec.state.status === 'paused') await runtime.resume(rec.id).catch(() => undefined);
      return { runtime, exited: live.exited };
    });
    if (step === 'already') return 'already';
    if (step !== 'done') {
      const sig = parseSignal(signal || rec.config.StopSignal || 'SIGTERM');
      this.event(rec, 'kill', { signal: String(sig) });
      await step.runtime.stop(rec.id, sig, timeoutSec ?? rec.config.StopTimeout ?? 10);
      await step.exited;
    }
    this.event(rec, 'stop');
    return 'stopped';
  }

  async kill(ref: string, signal = 'KILL'): Promise<void> {
    const rec = this.resolve(ref);
    const sig = parseSignal(signal);
    if (rec.state.status !== 'running' && rec.state.status !== 'paused' && rec.state.status !== 'restarting') {
      throw conflict('ERR_NOT_RUNNING', `Cannot kill container: ${ref}: Container ${rec.id} is not running`);
    }
    if (rec.state.status === 'restarting') {
      await this.stop(ref, 0);
      return;
    }
    rec.state.manuallyStopped = true;
    await this.save(rec);
    const runtime = await this.runtimeFor(rec);
    this.event(rec, 'kill', { signal: String(sig) });
    await runtime.kill(rec.id, sig);
    if (sig === SIGKILL) await this.live.get(rec.id)?.exited;
  }

  async restart(ref: string, timeoutSec?: number): Promise<void> {
    const rec = this.resolve(ref);
    await this.stop(rec.id, timeoutSec);
    await this.ops.run(rec.id, async () => {
      rec.state.manuallyStopped = false;
      await this.startLocked(rec, false);
    });
    this.event(rec, 'restart');
  }

  async pause(ref: string): Promise<void> {
    const rec = this.resolve(ref);
    await this.ops.run(rec.id, async () => {
      if (rec.state.status === 'paused') throw conflict('ERR_PAUSED', `Container ${rec.id} is already paused`);
      if (rec.state.status !== 'running') throw this.notRunning(rec);
      await (await this.runtimeFor(rec)).pause(rec.id);
      rec.state.status = 'paused';
      await this.save(rec);
      this.event(rec, 'pause');
    });
  }

  async unpause(ref: string): Promise<void> {
    const rec = this.resolve(ref);
    await this.ops.run(rec.id, async () => {
      if (rec.state.status !== 'paused') throw conflict('ERR_NOT_PAUSED', `Container ${rec.id} is not paused`);
      await (await this.runtimeFor(rec)).resume(rec.id);
      rec.state.status = 'running';
      await this.save(rec);
      this.event(rec, 'unpause');
    });
  }

  // ---- remove / rename ----------------------------------------------------------------

  async remove(ref: string, opts: { force: boolean }): Promise<void> {
    const rec = this.resolve(ref);
    await this.ops.run(rec.id, () => this.removeLocked(rec, opts));
  }

  /**
   * `auto`: an auto-removal after an exit (`--rm`), whose waiter is the client of `docker run`:
   * the runtime's cleanup may finish after it is told. An explicit removal waits for it, so the
   * container's cgroup and bundle are gone when `docker rm` returns.
   */
  private async removeLocked(rec: ContainerRecord, opts: { force: boolean; auto?: boolean }): Promise<void> {
    if (!this.deps.store.get(rec.id)) return;
    const s = rec.state.status;
    if ((s === 'running' || s === 'paused' || s === 'restarting') && !opts.force) {
      const what = s === 'paused' ? 'paused' : 'running';
      throw conflict(
        'ERR_CONTAINER_RUNNING',
        `You cannot remove a ${what} container ${rec.id}. ${s === 'paused' ? 'Unpause and then stop' : 'Stop'} the container before attempting removal or force remove`,
      );
    }
    const live = this.liveOf(rec.id);
    if (live.restartTimer) clearTimeout(live.restartTimer);
    live.restartTimer = undefined;
    const runtime = await this.runtimeFor(rec);
    if (s === 'running' || s === 'paused') {
      rec.state.manuallyStopped = true;
      if (s === 'paused') await runtime.resume(rec.id).catch(() => undefined);
      await runtime.kill(rec.id, SIGKILL).catch(() => undefined);
      const info = await runtime.exitOf(rec.id);
      live.exitWatch?.abort();
      if (!info) await runtime.waitExit(rec.id).catch(() => undefined);
      const exit = await runtime.exitOf(rec.id);
      if (exit) {
        rec.state.exitCode = exit.exitCode;
        rec.state.finishedAt = rfc3339FromNs(exit.finishedAtNs);
      }
      this.event(rec, 'kill', { signal: String(SIGKILL) });
      this.event(rec, 'die', { exitCode: String(rec.state.exitCode) });
      this.fire(rec.id, ['next-exit', 'not-running'], { StatusCode: rec.state.exitCode, Error: null });
    }
    rec.state.status = 'removing';
    live.rotator?.stop();
    if (!live.runtimeClean) this.cleanRuntime(rec.id, live, runtime);
    if (!opts.auto) await live.runtimeCleanup;
    unmountRootfs(this.dir(rec.id));
    await this.deps.snapshots.remove(rec.id).catch((e: unknown) => {
      if (!isKind(e, 'not-found')) throw e;
    });
    await this.deps.store.remove(rec.id);
    for (const cb of live.pendingAttach.splice(0)) cb(undefined); // attaches waiting for a start that will not come
    this.live.delete(rec.id);
    this.event(rec, 'destroy');
    this.fire(rec.id, ['removed', 'not-running', 'next-exit'], { StatusCode: rec.state.exitCode, Error: null });
    this.waiters.delete(rec.id);
  }

  async rename(ref: string, newName: string): Promise<void> {
    const rec = this.resolve(ref);
    if (!newName) throw invalid('ERR_CONTAINER_NAME', 'Neither old nor new names may be empty');
    const full = checkName(newName);
    if (full === rec.name) throw invalid('ERR_CONTAINER_NAME', 'Renaming a container with the same name as its current name');
    const holder = this.deps.store.nameTaken(full);
    if (holder) {
      throw conflict('ERR_NAME_IN_USE', `Error when allocating new name: Conflict. The container name "${full}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const old = rec.name;
    await this.deps.store.rename(rec.id, full);
    this.event(rec, 'rename', { oldName: old });
  }

  // ---- wait ---------------------------------------------------------------------------

  private fire(id: string, conditions: WaitCondition[], result: WaitResult): void {
    const list = this.waiters.get(id);
    if (!list) return;
    const keep: Waiter[] = [];
    for (const w of list) {
      if (conditions.includes(w.condition)) w.resolve(result);
      else keep.push(w);
    }
    this.waiters.set(id, keep);
  }

  /**
   * Register a wait now (so the caller can answer its headers at once) and get its outcome.
   * `signal` drops the waiter when the client goes away.
   */
  wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    const rec = this.resolve(ref);
    if (condition === 'not-running' && !isActive(rec.state)) return Promise.resolve({ StatusCode: rec.state.exitCode, Error: null });
    return new Promise((resolve) => {
      const w: Waiter = { condition, resolve };
      const list = this.waiters.get(rec.id) ?? [];
      list.push(w);
      this.waiters.set(rec.id, list);
      signal?.addEventListener('abort', () => {
        const l = this.waiters.get(rec.id);
        if (l) this.waiters.set(rec.id, l.filter((x) => x !== w));
      });
    });
  }

  // ---- attach ---------------------------------------------------------------------------

  /**
   * A stream of the container's stdio: at once when it runs, at its next start when it is
   * created, exited or restarting (`undefined` if that start fails, or once `signal` aborts: a
   * client that leaves before the start leaves no connection to conmon behind). Throws for
   * containers that cannot start again (dead, being removed).
   */
  async attachStream(rec: ContainerRecord, signal?: AbortSignal): Promise<AttachStream | undefined> {
    if (!attachable(rec.state)) throw conflict('ERR_NOT_RUNNING', 'You cannot attach to a stopped container, start it first');
    if (rec.state.status === 'running' || rec.state.status === 'paused') return (await this.runtimeFor(rec)).attach(rec.id);
    return new Promise((resolve) => {
      const live = this.liveOf(rec.id);
      const deliver = (stream: AttachStream | undefined) => {
        if (signal?.aborted) {
          stream?.detach();
          resolve(undefined);
        } else resolve(stream);
      };
      live.pendingAttach.push(deliver);
      signal?.addEventListener('abort', () => {
        live.pendingAttach = live.pendingAttach.filter((x) => x !== deliver);
        resolve(undefined);
      });
    });
  }

  async resize(ref: string, height: number, width: number): Promise<void> {
    const rec = this.resolve(ref);
    if (rec.state.status !== 'running' && rec.state.status !== 'paused') throw this.notRunning(rec);
    await (await this.runtimeFor(rec)).resize(rec.id, height, width);
  }

  /** The spec process of a running container (execs derive from it). */
  async runningSpec(rec: ContainerRecord): Promise<OciSpec> {
    const live = this.liveOf(rec.id);
    if (!live.spec) {
      const runtime = await this.runtimeFor(rec);
      live.spec = JSON.parse(await fsp.readFile(runtime.paths(rec.id).config, 'utf8')) as OciSpec;
    }
    return live.spec;
  }

  /** Resolves when the container's current run ends (or at once when it does not run). */
  stopped(rec: ContainerRecord): Promise<void> {
    if (!isActive(rec.state)) return Promise.resolve();
    return this.wait(rec.id, 'not-running').then(() => undefined, () => undefined);
  }

  // ---- live restore ------------------------------------------------------------------------

  /**
   * After a daemon (re)start: re-adopt containers whose conmon still runs, record the exits
   * that happened while berthd was down, then apply restart policies.
   */
  async restore(): Promise<void> {
    // Best effort: a missing runtime binary must not keep berthd from starting.
    await this.sweepOrphans().catch((e: unknown) => log.warn('could not look for runtime leftovers', { error: (e as Error).message }));
    for (const rec of this.deps.store.all()) {
      try {
        await this.ops.run(rec.id, () => this.restoreOne(rec));
      } catch (e) {
        log.error('could not restore container', { id: rec.id, error: (e as Error).message });
      }
    }
    for (const rec of this.deps.store.all()) {
      if (!isActive(rec.state) && restartOnDaemonStart(rec)) {
        this.ops.run(rec.id, () => this.startLocked(rec, true)).catch((e: unknown) => log.warn('restart on daemon start failed', { id: rec.id, error: (e as Error).message }));
      }
    }
  }

  /**
   * Runtime leftovers of containers that no longer have a record: a daemon stopped or killed
   * while a background cleanup (cleanRuntime) was running. Only IDs without any directory in
   * the data-root count: a record that could not be read is left in place by the store, and its
   * container must not be killed for that. Every runtime shares the exec-root, and one that never
   * knew the ID skips it without a spawn.
   */
  private async sweepOrphans(): Promise<void> {
    const fallback = await this.deps.runtime(this.deps.defaultRuntime);
    const orphans: string[] = [];
    for (const id of await fallback.bundles()) {
      if (id.startsWith('.') || this.deps.store.get(id)) continue;
      if (!(await exists(this.deps.store.dir(id)))) orphans.push(id);
    }
    if (orphans.length === 0) return;
    const runtimes = await Promise.all(Object.keys(this.deps.runtimes).map((name) => this.deps.runtime(name).catch(() => undefined)));
    for (const id of orphans) {
      for (const rt of runtimes) await rt?.remove(id).catch((e: unknown) => log.warn('could not remove a leftover container', { id, error: (e as Error).message }));
      log.info('removed the runtime leftovers of a removed container', { id });
    }
  }

  private async restoreOne(rec: ContainerRecord): Promise<void> {
    const s = rec.state.status;
    if (s === 'removing') {
      await this.removeLocked(rec, { force: true });
      return;
    }
    if (s === 'restarting') {
      rec.state.status = 'exited';
      await this.save(rec);
      return;
    }
    if (s !== 'running' && s !== 'paused') return;
    const runtime = await this.runtimeFor(rec);
    const found = await runtime.recover(rec.id);
    if (found.conmonAlive && found.state && (found.state.status === 'running' || found.state.status === 'paused')) {
      rec.state.status = found.state.status;
      if (found.conmonPid) rec.state.conmonPid = found.conmonPid;
      await this.save(rec);
      this.liveOf(rec.id).runStartedMs = Date.parse(rec.state.startedAt);
      this.watchExit(rec, runtime);
      log.info('re-adopted running container', { id: rec.id, pid: rec.state.pid });
      return;
    }
    // It exited while berthd was down (or the host restarted and nothing recorded it).
    const exit = found.exit ?? { exitCode: 255, finishedAtNs: BigInt(Date.now()) * 1_000_000n, oomKilled: false };
    rec.state.manuallyStopped = rec.state.manuallyStopped || false;
    await this.onExitWhileDown(rec, exit);
  }

  private async onExitWhileDown(rec: ContainerRecord, info: ExitInfo): Promise<void> {
    const runtime = await this.runtimeFor(rec);
    await runtime.remove(rec.id).catch(() => undefined);
    unmountRootfs(this.dir(rec.id));
    rec.state = { ...rec.state, status: 'exited', pid: 0, exitCode: info.exitCode, oomKilled: info.oomKilled, finishedAt: rfc3339FromNs(info.finishedAtNs) };
    delete rec.state.conmonPid;
    await this.save(rec);
    this.event(rec, 'die', { exitCode: String(info.exitCode) });
    if (rec.hostConfig.AutoRemove && !shouldRestart(rec, info.exitCode)) await this.removeLocked(rec, { force: true, auto: true });
  }

  /**
   * The image name to show for a container: what the user typed, or the ID if the tag moved.
   * A listing passes one `memo` for all its containers: most share a few image names, and
   * parsing and resolving a reference per row was a third of `ps -a`'s time with 1000 of them.
   */
  imageName(rec: ContainerRecord, memo?: Map<string, string>): string {
    const key = `${rec.config.Image ?? ''}\n${rec.image}`;
    const known = memo?.get(key);
    if (known !== undefined) return known;
    const name = this.resolveImageName(rec);
    memo?.set(key, name);
    return name;
  }

  private resolveImageName(rec: ContainerRecord): string {
    const given = rec.config.Image ?? '';
    try {
      const ref = parseReference(given);
      const id = this.deps.images.index.lookup(ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref);
      if (id === rec.image) return given;
      if (given.startsWith('sha256:') || /^[0-9a-f]+$/.test(given)) return given;
      return rec.image;
    } catch {
      return given || familiarReference({ domain: 'docker.io', path: 'library/none' });
    }
  }
}

/** `--log-opt max-size=10m` → bytes (undefined when absent). */
function sizeOpt(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const bytes = parseRamSize(v);
  if (bytes === undefined) throw invalid('ERR_LOG_OPT', `invalid max-size: ${v}`);
  return bytes;
}
