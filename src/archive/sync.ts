/** Durability in one call: syncfs(2) on the filesystem holding `path` instead of an fsync per file. */
import { closeSync, openSync } from 'node:fs';
import { syncfs } from '../sys/libc.js';

export function syncFilesystemOf(path: string): void {
  const fd = openSync(path, 'r');
  try {
    syncfs(fd);
  } finally {
    closeSync(fd);
  }
}
