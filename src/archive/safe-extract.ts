/**
 * The safe layer extractor: a TarSink that writes entries into a fresh, private directory in
 * overlay form. Synchronous on purpose (it runs in a worker thread): a promise per entry would
 * cost more than the syscalls.
 *
 * Safety model (runtime.md 4.2):
 * - The destination is created by us and reachable by nobody else while we write, so the only
 *   symlinks in it are the archive's own, and we know every one of them: `nodes` records each
 *   path this extraction created, keyed by its real path. A key is only ever a chain of real
 *   directories we made plus a final component, so path-based syscalls on a known key never
 *   traverse a symlink; the final component is created with O_EXCL|O_NOFOLLOW (files) or by
 *   calls that do not follow (mkdir, symlink, link, mknod), and metadata is set through the
 *   file descriptor or with l* calls, never chmod through a link.
 * - Names are cleaned (names.ts); `..` escapes are refused, a leading `/` is stripped.
 * - Parent components that are symlinks of this layer are resolved *inside the root*
 *   (containerd's RootPath semantics; also what Docker's chrooted extraction gives): `lib ->
 *   /usr/lib` then `lib/x` writes `<root>/usr/lib/x`; `evil -> /etc` then `evil/passwd` writes
 *   `<root>/etc/passwd`. At most 40 links per resolution (ELOOP otherwise).
 * - Hardlink targets are cleaned like names, resolved inside the root, must exist in this layer
 *   and must not be directories or whiteouts.
 * - Symlink targets are stored verbatim (absolute targets are normal in images).
 * - `.wh.NAME` becomes a 0/0 character device at NAME; `.wh..wh..opq` sets
 *   `trusted.overlay.opaque=y` on its directory wherever it appears; other `.wh..wh.*` names
 *   (aufs bookkeeping) are skipped. A whiteout never hides an entry of the same layer; an entry
 *   that comes after a whiteout of the same name replaces it (a directory then becomes opaque,
 *   since the lower one was deleted).
 * - An entry over an existing path replaces it (unlink, or remove the directory tree), except
 *   directory over directory, which merges attributes.
 * - xattrs: `user.*`, `security.capability` and `trusted.overlay.opaque=y` on files and
 *   directories; anything else is dropped and counted.
 * - Limits on entries, depth, name length, total data size; directory times are set last.
 *
 * With a TarSplitWriter (tar-split.ts), each file's content is recorded as a reference to the
 * file it went to, content written to no file goes to the record inline, and a recorded file is
 * saved before an entry of the same layer removes it.
 */
import * as fs from 'node:fs';
import { invalid } from '../core/errors.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, lsetxattr, mknod } from '../sys/libc.js';
import type { ExtractLimits } from './contract.js';
import { OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX, baseName, cleanName, depthOf, dirName, joinRel, symlinkTargetInRoot } from './names.js';
import type { TarEntry } from './tar-header.js';
import type { TarSink } from './tar-reader.js';
import type { TarSplitWriter } from './tar-split.js';

export const DEFAULT_LIMITS: ExtractLimits = {
  maxEntries: 1_000_000,
  maxDepth: 256,
  maxNameLength: 4096,
  maxTotalSize: 128 * 1024 ** 3,
  maxMetaSize: 1 << 20,
};

type NodeKind = 'dir' | 'file' | 'symlink' | 'device' | 'whiteout';

interface Node {
  kind: NodeKind;
  /** Symlink target, verbatim. */
  target?: string;
}

const MAX_LINK_HOPS = 40;
/** Linux ids are 32-bit, (uid_t)-1 meaning "unchanged"; device numbers are 12+20 bits. */
const MAX_ID = 0xfffffffe;
const MAX_MAJOR = 0xfff;
const MAX_MINOR = 0xfffff;
/** 9999-12-31T23:59:59Z: later times are clamped (rule 5, "bound the times"). */
const MAX_TIME = 253402300799;
const Y = Buffer.from('y');
const OPEN_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW; // libuv adds O_CLOEXEC

function clampTime(t: number): number {
  return t < 0 ? 0 : t > MAX_TIME ? MAX_TIME : t;
}

function allowedXattr(name: string, value: Buffer): boolean {
  if (name.startsWith('user.') || name === 'security.capability') return true;
  return name === OPAQUE_XATTR && value.equals(Y);
}

export interface ExtractStats {
  entries: number;
  size: number;
  skippedXattrs: number;
}

export class LayerExtractor implements TarSink {
  private readonly nodes = new Map<string, Node>([['', { kind: 'dir' }]]);
  /**
   * Paths ever recorded under each directory, so replacing a directory forgets its subtree in
   * time proportional to the subtree (a hostile stream of replacements stays linear).
   */
  private readonly children = new Map<string, string[]>();
  /** Directory times to apply at the end: real path → [atime, mtime]. */
  private readonly dirTimes = new Map<string, [number, number]>();
  private readonly euid = process.geteuid?.() ?? 0;
  private readonly egid = process.getegid?.() ?? 0;
  private readonly umask: number;
  private fd = -1;
  private current: TarEntry | undefined;
  private currentPath = '';
  readonly stats: ExtractStats = { entries: 0, size: 0, skippedXattrs: 0 };

  constructor(
    private readonly root: string,
    private readonly limits: ExtractLimits = DEFAULT_LIMITS,
    umask = 0o022,
    private readonly split?: TarSplitWriter,
  ) {
    this.umask = umask;
  }

  /** Name of the entry being written, for error messages. */
  get currentName(): string | undefined {
    return this.current?.name;
  }

  entry(e: TarEntry): void {
    this.current = e;
    const stats = this.stats;
    if (++stats.entries > this.limits.maxEntries) {
      throw invalid('ERR_LAYER_LIMIT', `layer has more than ${this.limits.maxEntries} entries`);
    }
    if (Buffer.byteLength(e.name) > this.limits.maxNameLength) {
      throw invalid('ERR_LAYER_LIMIT', `tar entry name longer than ${this.limits.maxNameLength} bytes (header at byte ${e.offset})`);
    }
    const rel = cleanName(e.name);
    if (depthOf(rel) > this.limits.maxDepth) {
      throw invalid('ERR_LAYER_LIMIT', `tar entry "${e.name}" is deeper than ${this.limits.maxDepth} directories`);
    }
    if (e.uid > MAX_ID || e.gid > MAX_ID) {
      throw invalid('ERR_LAYER_BAD_ENTRY', `tar entry "${e.name}" has an owner id out of range (${e.uid}:${e.gid})`);
    }
    if ((e.type === 'char' || e.type === 'block') && (e.devmajor > MAX_MAJOR || e.devminor > MAX_MINOR)) {
      throw invalid('ERR_LAYER_BAD_ENTRY', `device "${e.name}" has a number out of range (${e.devmajor}:${e.devminor})`);
    }
    if (e.type === 'file') {
      stats.size += e.size;
      if (stats.size > this.limits.maxTotalSize) {
        throw invalid('ERR_LAYER_LIMIT', `layer data exceeds the limit of ${this.limits.maxTotalSize} bytes (at "${e.name}")`);
      }
    }
    const base = baseName(rel);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      this.whiteout(rel, base, e);
      return;
    }
    if (rel === '') {
      if (e.type !== 'dir') throw invalid('ERR_LAYER_BAD_ENTRY', `tar entry "${e.name}" would replace the layer root with a ${e.type}`);
      this.dirAttrs('', e);
      return;
    }
    const parent = this.resolveDir(dirName(rel), true, { hops: 0 });
    const path = joinRel(parent, base);
    this.currentPath = path;
    // A hardlink's target is resolved before anything at `path` is removed.
    const linkTarget = e.type === 'hardlink' ? this.hardlinkTarget(e) : undefined;
    if (linkTarget === path) return; // a link to itself: already that file
    const cleared = this.clear(path, e.type);
    if (cleared === 'merge') {
      this.dirAttrs(path, e);
      return;
    }
    const abs = this.abs(path);
    switch (e.type) {
      case 'file':
        this.fd = fs.openSync(abs, OPEN_FLAGS, e.mode & 0o777);
        this.record(path, { kind: 'file' });
        return; // metadata once the data is written (entryEnd)
      case 'dir':
        fs.mkdirSync(abs, e.mode & 0o777);
        this.record(path, { kind: 'dir' });
        if (cleared === 'whiteout') lsetxattr(abs, OPAQUE_XATTR, Y);
        this.dirAttrs(path, e, true);
        return;
      case 'symlink':
        if (e.linkname === '') throw invalid('ERR_LAYER_BAD_ENTRY', `symlink "${e.name}" has an empty target`);
        fs.symlinkSync(e.linkname, abs);
        this.record(path, { kind: 'symlink', target: e.linkname });
        if (e.uid !== this.euid || e.gid !== this.egid) fs.lchownSync(abs, e.uid, e.gid);
        fs.lutimesSync(abs, this.atimeOf(e), clampTime(e.mtime));
        return;
      case 'hardlink':
        fs.linkSync(this.abs(linkTarget as string), abs);
        this.record(path, { kind: (this.nodes.get(linkTarget as string) as Node).kind });
        return;
      case 'char':
      case 'block':
      case 'fifo': {
        const fmt = e.type === 'char' ? S_IFCHR : e.type === 'block' ? S_IFBLK : S_IFIFO;
        mknod(abs, fmt | (e.mode & 0o777), e.devmajor, e.devminor);
        this.record(path, { kind: 'device' });
        const chown = e.uid !== this.euid || e.gid !== this.egid;
        if (chown) fs.lchownSync(abs, e.uid, e.gid);
        // a device we just made, never a link: chmod by path is safe here
        if (chown || (e.mode & 0o7000) !== 0 || (e.mode & this.umask) !== 0) fs.chmodSync(abs, e.mode);
        fs.lutimesSync(abs, this.atimeOf(e), clampTime(e.mtime));
        return;
      }
    }
  }

  data(chunk: Uint8Array): void {
    if (this.fd < 0) {
      this.split?.inline(chunk); // content of an entry that is no file here (whiteout, old-style directory)
      return;
    }
    let off = 0;
    while (off < chunk.length) off += fs.writeSync(this.fd, chunk, off, chunk.length - off);
  }

  entryEnd(): void {
    const fd = this.fd;
    if (fd < 0) return;
    this.fd = -1;
    const e = this.current as TarEntry;
    try {
      const chown = e.uid !== this.euid || e.gid !== this.egid;
      if (chown) fs.fchownSync(fd, e.uid, e.gid);
      // chown clears setuid/setgid, so the mode goes on after it
      if (chown || (e.mode & 0o7000) !== 0 || (e.mode & this.umask) !== 0) fs.fchmodSync(fd, e.mode);
      if (e.xattrs) this.xattrs(this.abs(this.currentPath), e.xattrs);
      fs.futimesSync(fd, this.atimeOf(e), clampTime(e.mtime));
      this.split?.file(this.currentPath, e.size);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Apply directory times, deepest last-created first; call once the stream is complete. */
  finish(): ExtractStats {
    for (const [path, [atime, mtime]] of this.dirTimes) {
      if (this.nodes.get(path)?.kind === 'dir') fs.utimesSync(this.abs(path), atime, mtime);
    }
    return this.stats;
  }

  /** Close what is open after a failure (the caller removes the directory). */
  abort(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already failing; the directory is removed next
      }
      this.fd = -1;
    }
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  private atimeOf(e: TarEntry): number {
    const m = clampTime(e.mtime);
    return e.atime !== undefined && e.atime > m ? clampTime(e.atime) : m;
  }

  /** Owner, mode, xattrs now; times at the end. `fresh`: just made with mkdir(mode). */
  private dirAttrs(path: string, e: TarEntry, fresh = false): void {
    const abs = this.abs(path);
    const chown = e.uid !== this.euid || e.gid !== this.egid;
    if (chown) fs.lchownSync(abs, e.uid, e.gid);
    // a directory of ours, never a link, so chmod by path is safe
    if (!fresh || chown || (e.mode & 0o7000) !== 0 || (e.mode & this.umask) !== 0) fs.chmodSync(abs, e.mode);
    if (e.xattrs) this.xattrs(abs, e.xattrs);
    this.dirTimes.set(path, [this.atimeOf(e), clampTime(e.mtime)]);
  }

  private xattrs(abs: string, xattrs: Map<string, Buffer>): void {
    for (const [name, value] of xattrs) {
      if (allowedXattr(name, value)) lsetxattr(abs, name, value);
      else this.stats.skippedXattrs++;
    }
  }

  /**
   * Make room for a new entry at `path`. Returns 'merge' for directory over directory,
   * 'whiteout' when a whiteout of this layer was replaced, 'fresh' otherwise.
   */
  private clear(path: string, type: TarEntry['type']): 'merge' | 'whiteout' | 'fresh' {
    const existing = this.nodes.get(path);
    if (existing === undefined) return 'fresh';
    if (existing.kind === 'dir') {
      if (type === 'dir') return 'merge';
      this.forgetTree(path); // first: it saves the recorded files of the tree
      fs.rmSync(this.abs(path), { recursive: true, force: true });
    } else {
      this.split?.removing(path);
      fs.unlinkSync(this.abs(path));
      this.nodes.delete(path);
    }
    return existing.kind === 'whiteout' ? 'whiteout' : 'fresh';
  }

  private record(path: string, node: Node): void {
    this.nodes.set(path, node);
    const parent = dirName(path);
    const list = this.children.get(parent);
    if (list === undefined) this.children.set(parent, [path]);
    else list.push(path);
  }

  private forgetTree(path: string): void {
    for (const child of this.children.get(path) ?? []) {
      if (this.nodes.get(child)?.kind === 'dir') {
        this.forgetTree(child);
      } else {
        this.split?.removing(child);
        this.nodes.delete(child);
      }
    }
    this.children.delete(path);
    this.nodes.delete(path);
    this.dirTimes.delete(path);
  }

  /**
   * The real path of directory `rel`, following this layer's symlinks inside the root. With
   * `create`, missing components become directories (0755, root-owned, as Docker makes them).
   */
  private resolveDir(rel: string, create: boolean, walk: { hops: number }): string {
    const direct = this.nodes.get(rel);
    if (direct !== undefined && direct.kind === 'dir') return rel; // keys are real paths
    let cur = '';
    let start = 0;
    while (start <= rel.length && rel !== '') {
      let end = rel.indexOf('/', start);
      if (end < 0) end = rel.length;
      const next = joinRel(cur, rel.slice(start, end));
      start = end + 1;
      const node = this.nodes.get(next);
      if (node === undefined) {
        if (!create) throw this.missing(next);
        fs.mkdirSync(this.abs(next), 0o755);
        this.record(next, { kind: 'dir' });
        cur = next;
      } else if (node.kind === 'dir') {
        cur = next;
      } else if (node.kind === 'symlink') {
        if (++walk.hops > MAX_LINK_HOPS) {
          throw invalid('ERR_LAYER_SYMLINK_LOOP', `too many levels of symbolic links resolving "${this.current?.name ?? rel}"`);
        }
        cur = this.resolveDir(symlinkTargetInRoot(cur, node.target as string), create, walk);
      } else if (node.kind === 'whiteout' && create) {
        // a directory of this layer where a lower one was deleted: opaque over the lower
        fs.unlinkSync(this.abs(next));
        fs.mkdirSync(this.abs(next), 0o755);
        lsetxattr(this.abs(next), OPAQUE_XATTR, Y);
        this.record(next, { kind: 'dir' });
        cur = next;
      } else {
        throw invalid('ERR_LAYER_NOT_A_DIRECTORY', `tar entry "${this.current?.name ?? rel}" goes through "${next}", which is not a directory`);
      }
    }
    return cur;
  }

  private missing(path: string) {
    return invalid('ERR_LAYER_BAD_HARDLINK', `hardlink "${this.current?.name}" points to "${path}", which is not in this layer`);
  }

  private hardlinkTarget(e: TarEntry): string {
    const rel = cleanName(e.linkname, 'hardlink target');
    if (rel === '') throw invalid('ERR_LAYER_BAD_HARDLINK', `hardlink "${e.name}" points to the layer root`);
    const dir = this.resolveDir(dirName(rel), false, { hops: 0 });
    const target = joinRel(dir, baseName(rel));
    const node = this.nodes.get(target);
    if (node === undefined) throw this.missing(target);
    if (node.kind === 'dir') throw invalid('ERR_LAYER_BAD_HARDLINK', `hardlink "${e.name}" points to the directory "${e.linkname}"`);
    if (node.kind === 'whiteout') throw invalid('ERR_LAYER_BAD_HARDLINK', `hardlink "${e.name}" points to a whiteout`);
    return target;
  }

  private whiteout(rel: string, base: string, e: TarEntry): void {
    const dir = this.resolveDir(dirName(rel), true, { hops: 0 });
    if (base === OPAQUE_MARKER) {
      lsetxattr(this.abs(dir), OPAQUE_XATTR, Y);
      return;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // aufs metadata
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') {
      throw invalid('ERR_LAYER_BAD_WHITEOUT', `whiteout "${e.name}" does not name a file in its directory`);
    }
    const path = joinRel(dir, name);
    if (this.nodes.has(path)) return; // whiteouts never hide entries of the same layer
    const abs = this.abs(path);
    mknod(abs, S_IFCHR, 0, 0);
    if (e.uid !== this.euid || e.gid !== this.egid) fs.lchownSync(abs, e.uid, e.gid);
    this.record(path, { kind: 'whiteout' });
  }
}
