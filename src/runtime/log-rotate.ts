/**
 * `--log-opt max-size/max-file` for conmon's k8s-file log. conmon cannot rotate with history, so
 * berthd does it: when the log reaches max-size it shifts `<log>.N-1 … <log>.1` up, renames the
 * log to `<log>.1` (conmon keeps writing into it until it reopens), and asks conmon to reopen
 * through the ctl FIFO. With max-file 1 the full log is simply dropped, as Docker's json-file does.
 * Nothing is rotated while berthd is down; the first check after it is back catches up.
 */
import { watch, type FSWatcher } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { errnoCode, invalid } from '../core/errors.js';
import { reopenLog } from './ctl.js';
import { withLogLock } from './log-lock.js';

export interface RotationOptions {
  logPath: string;
  /** The container's ctl FIFO. */
  ctlPath: string;
  /** Bytes. */
  maxSize: number;
  /** Files kept, the live one included (Docker's default 1). */
  maxFiles?: number;
  /** Fallback check interval (the file is also watched). */
  pollMs?: number;
}

/** Rotate now, whatever the size. */
export function rotateLog(logPath: string, ctlPath: string, maxFiles = 1): Promise<void> {
  if (!Number.isInteger(maxFiles) || maxFiles < 1) throw invalid('ERR_LOG_OPT', `invalid max-file: ${maxFiles}`);
  return withLogLock(logPath, async () => {
    if (maxFiles === 1) {
      await fsp.rm(logPath, { force: true });
    } else {
      await fsp.rm(`${logPath}.${maxFiles - 1}`, { force: true });
      for (let i = maxFiles - 2; i >= 1; i--) {
        await fsp.rename(`${logPath}.${i}`, `${logPath}.${i + 1}`).catch((e: unknown) => {
          if (errnoCode(e) !== 'ENOENT') throw e;
        });
      }
      await fsp.rename(logPath, `${logPath}.1`);
    }
    await reopenLog(ctlPath);
  });
}

/** Watches one container's log and rotates it at max-size, until stopped. */
export class LogRotator {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private checking = false;
  private again = false;
  private stopped = false;
  private current: Promise<void> = Promise.resolve();
  /** The last rotation's failure (the container may have stopped meanwhile). */
  lastError?: unknown;

  constructor(private readonly o: RotationOptions) {
    if (!(o.maxSize > 0)) throw invalid('ERR_LOG_OPT', `invalid max-size: ${o.maxSize}`);
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.o.pollMs ?? 1000);
    this.timer.unref();
    this.rewatch();
    void this.check();
  }

  /** Stop watching; resolves once a rotation in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.current;
  }

  /** Watch the current log file (a new inode after each rotation). */
  private rewatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.stopped) return;
    try {
      this.watcher = watch(this.o.logPath, { persistent: false }, () => void this.check());
      this.watcher.on('error', () => undefined);
    } catch {
      // not created yet: the poll tick checks and re-watches
    }
  }

  /** Rotate if the log has reached max-size; coalesces concurrent triggers. */
  check(): Promise<void> {
    if (this.checking) {
      this.again = true;
      return this.current;
    }
    this.checking = true;
    this.current = this.loop();
    return this.current;
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        const size = await fsp.stat(this.o.logPath).then((s) => s.size, () => 0);
        if (size >= this.o.maxSize && !this.stopped) {
          try {
            await rotateLog(this.o.logPath, this.o.ctlPath, this.o.maxFiles ?? 1);
            this.lastError = undefined;
          } catch (e) {
            this.lastError = e;
          }
          this.rewatch();
        } else if (!this.watcher) {
          this.rewatch();
        }
      } while (this.again);
    } finally {
      this.checking = false;
    }
  }
}
