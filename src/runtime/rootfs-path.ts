/**
 * Paths inside a container's rootfs, resolved as the container would see them: symlinks are
 * followed relative to the rootfs and `..` stops at its top, so a hostile image cannot make berth
 * read or create files outside it (e.g. /etc/passwd -> /../../host/secret).
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { errnoCode, invalid } from '../core/errors.js';

const MAX_SYMLINKS = 255;

/** Where `inside` leads within the rootfs, as a container path (symlinks followed, clamped at `/`). */
export async function resolveContainerPath(root: string, inside: string): Promise<string> {
  const pending = inside.split('/').filter((p) => p.length > 0);
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = path.join(root, ...done, part);
    let target: string | undefined;
    try {
      const st = await fsp.lstat(candidate);
      if (st.isSymbolicLink()) target = await fsp.readlink(candidate);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT' && errnoCode(e) !== 'ENOTDIR') throw e;
    }
    if (target === undefined) {
      done.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw invalid('ERR_SYMLINK_LOOP', `too many levels of symbolic links in ${inside}`);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter((p) => p.length > 0));
  }
  return '/' + done.join('/');
}

/** The host path of `inside` (absolute, container view) under `root`; the last component may not exist. */
export async function resolveInRoot(root: string, inside: string): Promise<string> {
  return path.join(root, await resolveContainerPath(root, inside));
}

/** The content of a rootfs file, or undefined when it does not exist. */
export async function readFileInRoot(root: string, inside: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(await resolveInRoot(root, inside), 'utf8');
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw e;
  }
}

/**
 * Create a directory (and its parents) inside the rootfs, as Docker does for a missing working
 * directory, owned by the container user.
 */
export async function mkdirInRoot(root: string, inside: string, uid: number, gid: number): Promise<void> {
  const parts = inside.split('/').filter((p) => p.length > 0 && p !== '.');
  let current = '/';
  for (const part of parts) {
    current = path.posix.join(current, part);
    const host = await resolveInRoot(root, current);
    try {
      await fsp.mkdir(host, { mode: 0o755 });
      await fsp.chown(host, uid, gid);
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
  }
}
