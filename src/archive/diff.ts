/**
 * The layer differ and the directory tarrer.
 *
 * - diffLayer: an overlay upper directory → an OCI layer tar. Every entry of the upper is a
 *   change (overlayfs copies up whatever is touched), so the upper is walked, not compared:
 *   0/0 character devices become `.wh.NAME`, opaque directories are emitted followed by
 *   `.wh..wh..opq`, everything else as it is. Hardlinks within the layer stay hardlinks.
 * - changes: the same walk as `docker diff` reports it, with the lowers deciding A (added) vs
 *   C (changed), and the lower children an opaque directory hides reported as D.
 * - tarDirectory: a plain tree → tar (export of a mounted rootfs, test images); char 0/0 stays a
 *   device there.
 *
 * Output is deterministic: depth first, each directory's entries sorted by name, a directory
 * before its content; names are root-relative without `./`, directories end with `/`, times
 * are whole seconds.
 */
import type { Stats } from 'node:fs';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { lgetxattr, llistxattr } from '../sys/libc.js';
import type { Change, DiffSource } from './contract.js';
import { LowerView, isOpaque, isWhiteout } from './lower-view.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX, baseName, dirName, joinRel } from './names.js';
import type { EntryType, HeaderFields } from './tar-header.js';
import { encodeTar, type OutEntry } from './tar-writer.js';

interface WalkItem {
  rel: string;
  abs: string;
  st: Stats;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Depth-first walk below `root` (the root itself excluded), children sorted by name. Sync
 * calls, like the tar writer's reads (see tar-writer.ts): the consumer pulls one entry at a time.
 */
function* walk(root: string, dir = ''): Generator<WalkItem> {
  const names = readdirSync(dir === '' ? root : `${root}/${dir}`).sort(byName);
  for (const name of names) {
    const rel = joinRel(dir, name);
    const abs = `${root}/${rel}`;
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (st === undefined) continue; // removed meanwhile (a running container)
    yield { rel, abs, st };
    if (st.isDirectory()) yield* walk(root, rel);
  }
}

/** xattrs worth carrying in a layer (the same namespaces the extractor accepts). */
function portableXattrs(abs: string): Map<string, Buffer> | undefined {
  let out: Map<string, Buffer> | undefined;
  for (const name of llistxattr(abs)) {
    if (!name.startsWith('user.') && name !== 'security.capability') continue;
    const value = lgetxattr(abs, name);
    if (value !== undefined) (out ??= new Map()).set(name, value);
  }
  return out;
}

function major(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}

function minor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

function typeOf(st: Stats): EntryType | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return undefined; // sockets are not archived (as Docker)
}

/** Hardlink bookkeeping: the first name seen for each multiply-linked inode. */
type LinkMap = Map<string, string>;

function entryFor(item: WalkItem, links: LinkMap): OutEntry | undefined {
  const { rel, abs, st } = item;
  const type = typeOf(st);
  if (type === undefined) return undefined;
  const fields: HeaderFields = {
    name: type === 'dir' ? `${rel}/` : rel,
    type,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: 0,
    mtime: Math.floor(st.mtimeMs / 1000),
  };
  if (type !== 'symlink') fields.xattrs = portableXattrs(abs);
  switch (type) {
    case 'file': {
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = links.get(key);
        if (first !== undefined) return { fields: { ...fields, type: 'hardlink', linkname: first, xattrs: undefined } };
        links.set(key, rel);
      }
      fields.size = st.size;
      return { fields, dataFrom: abs };
    }
    case 'symlink':
      fields.linkname = readlinkSync(abs);
      return { fields };
    case 'char':
    case 'block':
      fields.devmajor = major(st.rdev);
      fields.devminor = minor(st.rdev);
      return { fields };
    default:
      return { fields };
  }
}

function markerEntry(name: string, st: Stats): OutEntry {
  return { fields: { name, type: 'file', mode: 0, uid: st.uid, gid: st.gid, size: 0, mtime: 0 } };
}

function* diffEntries(src: DiffSource): Generator<OutEntry> {
  const links: LinkMap = new Map();
  for (const item of walk(src.upper)) {
    if (isWhiteout(item.st)) {
      yield markerEntry(joinRel(dirName(item.rel), `${WHITEOUT_PREFIX}${baseName(item.rel)}`), item.st);
      continue;
    }
    const entry = entryFor(item, links);
    if (entry === undefined) continue;
    yield entry;
    if (item.st.isDirectory() && isOpaque(item.abs)) yield markerEntry(`${item.rel}/${OPAQUE_MARKER}`, item.st);
  }
}

function* treeEntries(root: string): Generator<OutEntry> {
  const links: LinkMap = new Map();
  for (const item of walk(root)) {
    const entry = entryFor(item, links);
    if (entry !== undefined) yield entry;
  }
}

/** The OCI layer tar of the changes in `src.upper`. */
export function diffLayer(src: DiffSource): Readable {
  return Readable.from(encodeTar(diffEntries(src)), { objectMode: false });
}

/** A tar of the plain directory tree at `root` (its content, not the root entry). */
export function tarDirectory(root: string): Readable {
  return Readable.from(encodeTar(treeEntries(root)), { objectMode: false });
}

/** `docker diff`: the changes of `src.upper` against its lowers, sorted by path. */
export async function changes(src: DiffSource): Promise<Change[]> {
  const lower = new LowerView(src.lowers);
  const out: Change[] = [];
  const visit = async (rel: string, parentIsNew: boolean): Promise<void> => {
    const abs = rel === '' ? src.upper : `${src.upper}/${rel}`;
    const names = await readdir(abs);
    for (const name of names) {
      const childRel = joinRel(rel, name);
      const childAbs = `${abs}/${name}`;
      const st = await lstat(childAbs);
      if (isWhiteout(st)) {
        out.push({ kind: 'D', path: `/${childRel}` });
        continue;
      }
      const isNew = parentIsNew || (await lower.lookup(childRel)) === undefined;
      out.push({ kind: isNew ? 'A' : 'C', path: `/${childRel}` });
      if (!st.isDirectory()) continue;
      if (!isNew && isOpaque(childAbs)) {
        const kept = new Set(await readdir(childAbs));
        for (const hiddenName of await lower.children(childRel)) {
          if (!kept.has(hiddenName)) out.push({ kind: 'D', path: `/${joinRel(childRel, hiddenName)}` });
        }
      }
      await visit(childRel, isNew);
    }
  };
  await visit('', false);
  return out.sort((a, b) => byName(a.path, b.path));
}
