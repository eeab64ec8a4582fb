/**
 * Exclusive use of a file across processes (flock) and within this one, without ever blocking
 * the event loop: a non-blocking try, retried with short sleeps up to a deadline. The kernel
 * drops a dead process's lock, so a SIGKILL never leaves a stale lock.
 */
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tryLockExclusive, unlock } from '../sys/libc.js';

const busyHere = new Set<string>();

/**
 * Run fn while holding the lock on `fh` (opened on `key`); false, without running fn, when the
 * lock could not be had within timeoutMs.
 */
export async function withFileLock<T>(key: string, fh: FileHandle, timeoutMs: number, fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  while (busyHere.has(key) || !tryLockExclusive(fh.fd)) {
    if (Date.now() >= deadline) return { ok: false };
    await sleep(wait);
    wait = Math.min(wait * 2, 50);
  }
  busyHere.add(key);
  try {
    return { ok: true, value: await fn() };
  } finally {
    busyHere.delete(key);
    try {
      unlock(fh.fd);
    } catch {
      // Closing the handle releases the lock anyway.
    }
  }
}
