/**
 * Exits as conmon records them: it writes the status to `<exec-root>/exits/<id>` (and to the
 * bundle's `exit`) after draining and syncing the logs, and touches `oom` after an OOM kill.
 * ExitWatcher turns new exit files into events with fs.watch (inotify works on tmpfs) and a
 * periodic scan as a fallback, so no exit is missed even if an inotify event is.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { errnoCode } from '../core/errors.js';
import { ensureDir, exists } from '../core/fsutil.js';
import type { ExitInfo } from './contract.js';

/** Parse an exit file; undefined while it does not exist (or is still empty). */
export async function readExitFile(file: string, oomFile?: string): Promise<ExitInfo | undefined> {
  let text: string;
  let st: fs.BigIntStats;
  try {
    [text, st] = await Promise.all([fsp.readFile(file, 'utf8'), fsp.stat(file, { bigint: true })]);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
  const code = Number.parseInt(text.trim(), 10);
  if (!Number.isFinite(code)) return undefined;
  return { exitCode: code, finishedAtNs: st.mtimeNs, oomKilled: oomFile ? await exists(oomFile) : false };
}

export interface ExitWatcherEvents {
  exit: [id: string, info: ExitInfo];
}

export class ExitWatcher extends EventEmitter<ExitWatcherEvents> {
  private watcher?: fs.FSWatcher;
  private timer?: NodeJS.Timeout;
  /** Exit files already reported, by id → mtime, so each exit is emitted once. */
  private readonly reported = new Map<string, bigint>();
  private scanning?: Promise<void>;

  /**
   * @param dir the exits directory (`<exec-root>/exits`)
   * @param oomFileOf where a container's `oom` marker lives (its bundle)
   */
  constructor(
    readonly dir: string,
    private readonly oomFileOf: (id: string) => string | undefined = () => undefined,
    private readonly pollMs = 2000,
  ) {
    super();
  }

  /** Start watching; exit files already present are reported too (exits while berthd was down). */
  async start(): Promise<void> {
    await ensureDir(this.dir, 0o700);
    this.watcher = fs.watch(this.dir, { persistent: false }, (_event, name) => {
      if (name && !name.startsWith('.')) void this.check(name.toString());
      else void this.scan();
    });
    this.watcher.on('error', () => undefined);
    this.timer = setInterval(() => void this.scan(), this.pollMs);
    this.timer.unref();
    await this.scan();
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }

  /** Forget a container's exit (after the service has handled it and removed the file). */
  forget(id: string): void {
    this.reported.delete(id);
  }

  /** Resolve with the container's exit, now or when it happens. */
  wait(id: string, signal?: AbortSignal): Promise<ExitInfo> {
    return new Promise((resolve, reject) => {
      // A waiter keeps the process alive (and polls its own file, in case an inotify event is lost).
      const poll = setInterval(() => void this.check(id), this.pollMs);
      const done = (info: ExitInfo) => {
        clearInterval(poll);
        this.off('exit', onExit);
        resolve(info);
      };
      const onExit = (exited: string, info: ExitInfo) => {
        if (exited === id) done(info);
      };
      this.on('exit', onExit);
      signal?.addEventListener('abort', () => {
        clearInterval(poll);
        this.off('exit', onExit);
        reject(signal.reason);
      });
      // It may have exited before anyone asked (the listener is already in place, so nothing is missed).
      void readExitFile(path.join(this.dir, id), this.oomFileOf(id)).then((info) => info && done(info), () => undefined);
    });
  }

  /** Re-read every exit file (the polling fallback). */
  scan(): Promise<void> {
    this.scanning ??= (async () => {
      try {
        const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
        for (const name of names) if (!name.startsWith('.')) await this.check(name);
      } finally {
        this.scanning = undefined;
      }
    })();
    return this.scanning;
  }

  private async check(id: string): Promise<void> {
    const info = await readExitFile(path.join(this.dir, id), this.oomFileOf(id)).catch(() => undefined);
    if (!info) return;
    if (this.reported.get(id) === info.finishedAtNs) return;
    this.reported.set(id, info.finishedAtNs);
    this.emit('exit', id, info);
  }
}
