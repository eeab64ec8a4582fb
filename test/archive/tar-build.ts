/**
 * Building tar archives byte by byte for tests, including ones no honest tool would write
 * (hostile names, bad checksums, truncation), plus tree snapshots to prove what changed.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { Readable } from 'node:stream';
import { BLOCK, padding, rawHeaderBlock, rawPaxBlocks } from '../../src/archive/tar-header.js';
import type { Digest } from '../../src/core/digest.js';
import { llistxattr, lgetxattr } from '../../src/sys/libc.js';

export interface RawEntry {
  name: string | Buffer;
  /** Type flag: '0' file (default), '1' hardlink, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo, ... */
  type?: string;
  data?: string | Buffer;
  /** Header size field when it must differ from the data length. */
  size?: number;
  linkname?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  devmajor?: number;
  devminor?: number;
  /** Pax records to put before the entry. */
  pax?: [string, string | Buffer][];
  /** Emit the name through a GNU long-name ('L') record. */
  gnuLongName?: boolean;
}

export function entryBytes(e: RawEntry): Buffer {
  const parts: Buffer[] = [];
  if (e.pax) parts.push(rawPaxBlocks(e.pax));
  const data = e.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
  let name = e.name;
  if (e.gnuLongName) {
    const long = Buffer.concat([Buffer.isBuffer(name) ? name : Buffer.from(name), Buffer.from([0])]);
    parts.push(rawHeaderBlock({ name: '././@LongLink', typeflag: 'L', size: long.length }), long, Buffer.alloc(padding(long.length)));
    name = 'long-name-placeholder';
  }
  const type = e.type ?? (typeof name === 'string' && name.endsWith('/') ? '5' : '0');
  parts.push(
    rawHeaderBlock({
      name,
      typeflag: type,
      size: e.size ?? data.length,
      mode: e.mode ?? (type === '5' ? 0o755 : 0o644),
      uid: e.uid,
      gid: e.gid,
      mtime: e.mtime ?? 1_600_000_000,
      linkname: e.linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
    }),
  );
  parts.push(data, Buffer.alloc(padding(data.length)));
  return Buffer.concat(parts);
}

/** A tar of `entries`, with the two end blocks unless `end` is false. */
export function tarOf(entries: RawEntry[], end = true): Buffer {
  return Buffer.concat([...entries.map(entryBytes), end ? Buffer.alloc(2 * BLOCK) : Buffer.alloc(0)]);
}

export function sha256(b: Buffer): Digest {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** A small layer with one entry of each common kind: the seed of the mutation tests. */
export const seedLayer: RawEntry[] = [
  { name: 'etc/', type: '5' },
  { name: 'etc/passwd', data: 'root:x:0:0::/root:/bin/sh\n' },
  { name: 'bin/busybox', data: 'E'.repeat(1500), mode: 0o755 },
  { name: 'bin/sh', type: '2', linkname: '/bin/busybox' },
  { name: 'bin/ls', type: '1', linkname: 'bin/busybox' },
  { name: 'lib', type: '2', linkname: 'usr/lib' },
  { name: 'lib/x.so', data: 'so' },
  { name: 'dev/null', type: '3', devmajor: 1, devminor: 3 },
  { name: 'x/.wh.y', data: '' },
  { name: 'x/.wh..wh..opq', data: '' },
  { name: 'p', data: 'pax', pax: [['path', 'deep/pax/name'], ['SCHILY.xattr.user.a', 'b']] },
];

/** Everything a stream yields, as one buffer. */
export async function collect(s: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** Recompute a header's checksum after editing it. */
export function fixChecksum(buf: Buffer, start: number): void {
  buf.fill(0x20, start + 148, start + 156);
  let sum = 0;
  for (let i = start; i < start + BLOCK; i++) sum += buf[i];
  buf.write(sum.toString(8).padStart(6, '0') + '\0 ', start + 148, 'latin1');
}

/** xorshift32: the same pseudo-random sequence on every run. */
export function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/** Feed a buffer in chunks of awkward sizes, so every parser state crosses a chunk edge. */
export function streamOf(b: Buffer, chunk = 777): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += chunk) parts.push(b.subarray(i, i + chunk));
  return Readable.from(parts);
}

export interface TreeItem {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  rdev: number;
  content?: string;
  link?: string;
  xattrs?: string;
  ino?: number;
}

/** Everything below `root` (sorted), precise enough to detect any change. */
export function treeOf(root: string, opts: { mtimes?: boolean; dirMtimes?: boolean; xattrs?: boolean } = {}): TreeItem[] {
  const out: TreeItem[] = [];
  const visit = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = `${dir}/${name}`;
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : 'other';
      const item: TreeItem = {
        path: r,
        type,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        mtime: opts.mtimes === false || (type === 'dir' && opts.dirMtimes === false) ? 0 : Math.floor(st.mtimeMs / 1000),
        size: type === 'file' ? st.size : 0,
        rdev: st.rdev,
      };
      if (type === 'file') item.content = createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);
      if (type === 'symlink') item.link = readlinkSync(p);
      if (opts.xattrs !== false && type !== 'symlink') {
        const names = llistxattr(p).filter((n) => !n.startsWith('security.selinux')).sort();
        if (names.length > 0) item.xattrs = names.map((n) => `${n}=${lgetxattr(p, n)?.toString('hex')}`).join(',');
      }
      out.push(item);
      if (type === 'dir') visit(p, r);
    }
  };
  visit(root, '');
  return out;
}
