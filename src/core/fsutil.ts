/**
 * Crash-safe file primitives. Every piece of persistent state berth writes goes through
 * writeFileAtomic, so a SIGKILL at any moment leaves either the old or the new content, never a
 * torn file.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { errnoCode } from './errors.js';

/** A temporary name next to `target` (same directory, so rename is atomic). */
export function tempSibling(target: string): string {
  return path.join(path.dirname(target), `.tmp-${path.basename(target)}-${randomBytes(6).toString('hex')}`);
}

/** fsync a directory so a rename or create inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface AtomicWriteOptions {
  mode?: number;
  /** Skip the fsyncs (for files that can be regenerated, where speed matters more). */
  noSync?: boolean;
  /**
   * Sync the content but not the directory: after a power cut the name holds the old or the new
   * content, both complete (only the rename itself may be lost).
   */
  noDirSync?: boolean;
}

/** Write to a temporary sibling, fsync, rename over the target, fsync the directory. */
export async function writeFileAtomic(target: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const tmp = tempSibling(target);
  const fh = await fsp.open(tmp, 'wx', opts.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    if (!opts.noSync) await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  if (!opts.noSync && !opts.noDirSync) await fsyncDir(path.dirname(target));
}

export async function writeJsonAtomic(target: string, value: unknown, opts: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value), opts);
}

/** Read and parse a JSON file; undefined when it does not exist. */
export async function readJsonIfExists<T = unknown>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
  return JSON.parse(text) as T;
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
}

export async function ensureDir(dir: string, mode = 0o711): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode });
}

/** Remove temporary leftovers (`.tmp-*`) that a killed process left in a directory. */
export async function removeTempLeftovers(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return 0;
    throw e;
  }
  let removed = 0;
  for (const name of names) {
    if (name.startsWith('.tmp-')) {
      await fsp.rm(path.join(dir, name), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
