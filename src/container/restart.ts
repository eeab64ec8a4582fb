/**
 * Restart policies (`--restart`): whether a container that exited should be started again, and
 * after how long. Like dockerd: a delay that starts at 100 ms and doubles per restart (at most a
 * minute), reset when the container had run for 10 s; a manual stop ends it.
 */
import type { ContainerRecord } from './contract.js';

const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
const RESET_AFTER_MS = 10_000;

/** Whether the policy asks for a restart after this exit. */
export function shouldRestart(rec: ContainerRecord, exitCode: number): boolean {
  const p = rec.hostConfig.RestartPolicy;
  if (!p || rec.state.manuallyStopped) return false;
  switch (p.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (p.MaximumRetryCount === 0 || rec.state.restartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

/** Whether a daemon that starts up should start this (not running) container again. */
export function restartOnDaemonStart(rec: ContainerRecord): boolean {
  const p = rec.hostConfig.RestartPolicy?.Name;
  if (rec.state.status === 'created') return false;
  if (p === 'always') return true;
  if (p === 'unless-stopped') return !rec.state.manuallyStopped;
  if (p === 'on-failure') return shouldRestart(rec, rec.state.exitCode);
  return false;
}

export class Backoff {
  private delay = BASE_DELAY_MS;

  /** The wait before the next restart, given how long the last run lasted. */
  next(ranForMs: number): number {
    if (ranForMs >= RESET_AFTER_MS) this.delay = BASE_DELAY_MS;
    const d = this.delay;
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    return d;
  }

  reset(): void {
    this.delay = BASE_DELAY_MS;
  }
}
