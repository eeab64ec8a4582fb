/**
 * The merged view of overlay lower directories (topmost first), answering "does this path exist
 * below the upper?" and "what does this directory hold below?" the way overlayfs would: a
 * whiteout (0/0 char device) hides the name in every deeper layer, an opaque directory or a
 * non-directory stops the merge of deeper layers.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { errnoCode } from '../core/errors.js';
import { lgetxattr } from '../sys/libc.js';
import { OPAQUE_XATTR, baseName, dirName, joinRel } from './names.js';

export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

export function isOpaque(absDir: string): boolean {
  const v = lgetxattr(absDir, OPAQUE_XATTR);
  return v !== undefined && v.length === 1 && v[0] === 0x79; // 'y'
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

export class LowerView {
  /** For each directory path, the lower layers in which it is a visible directory. */
  private readonly dirs = new Map<string, Promise<number[]>>();

  constructor(private readonly lowers: string[]) {}

  private at(layer: number, rel: string): string {
    return rel === '' ? this.lowers[layer] : `${this.lowers[layer]}/${rel}`;
  }

  private dirLayers(rel: string): Promise<number[]> {
    let p = this.dirs.get(rel);
    if (p === undefined) {
      p = rel === '' ? Promise.resolve(this.lowers.map((_, i) => i)) : this.computeDirLayers(rel);
      this.dirs.set(rel, p);
    }
    return p;
  }

  private async computeDirLayers(rel: string): Promise<number[]> {
    const out: number[] = [];
    for (const i of await this.dirLayers(dirName(rel))) {
      const st = await lstatOrUndefined(this.at(i, rel));
      if (st === undefined) continue;
      if (!st.isDirectory()) break; // a whiteout or a file hides everything deeper
      out.push(i);
      if (isOpaque(this.at(i, rel))) break;
    }
    return out;
  }

  /** The lower entry visible at `rel`, or undefined when no lower layer shows one. */
  async lookup(rel: string): Promise<Stats | undefined> {
    const name = baseName(rel);
    const parent = dirName(rel);
    for (const i of await this.dirLayers(parent)) {
      const st = await lstatOrUndefined(this.at(i, joinRel(parent, name)));
      if (st === undefined) continue;
      return isWhiteout(st) ? undefined : st;
    }
    return undefined;
  }

  /** Names visible in the merged lower directory `rel`. */
  async children(rel: string): Promise<Set<string>> {
    const visible = new Set<string>();
    const hidden = new Set<string>();
    for (const i of await this.dirLayers(rel)) {
      let names: string[];
      try {
        names = await readdir(this.at(i, rel));
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') continue;
        throw e;
      }
      for (const name of names) {
        if (visible.has(name) || hidden.has(name)) continue;
        const st = await lstat(this.at(i, joinRel(rel, name)));
        if (isWhiteout(st)) hidden.add(name);
        else visible.add(name);
      }
    }
    return visible;
  }
}
