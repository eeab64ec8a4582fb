/**
 * The benchmark's input: a ~200 MB Debian rootfs tar, made once with debootstrap through the
 * mirror apt already uses and cached under /var/tmp; when debootstrap cannot run, a
 * synthesised tree of the same shape (thousands of files of mixed sizes, directories,
 * symlinks, hardlinks) stands in.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { link, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';

export const CACHE = '/var/tmp/berth-bench';

export interface Rootfs {
  tar: string;
  gz: string;
  source: string;
}

function aptMirror(): string {
  try {
    const text = readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8');
    const m = /^URIs:\s*(\S+\/debian)\s*$/m.exec(text);
    if (m) return m[1];
  } catch {
    // fall through to sources.list
  }
  try {
    const m = /^deb\s+(\S+\/debian)\s+\S+\s+main/m.exec(readFileSync('/etc/apt/sources.list', 'utf8'));
    if (m) return m[1];
  } catch {
    // no apt configuration
  }
  return 'http://deb.debian.org/debian';
}

function debootstrap(dir: string): boolean {
  try {
    execFileSync('debootstrap', ['--variant=minbase', '--include=python3,perl,git', 'bookworm', dir, aptMirror()], { stdio: ['ignore', 'ignore', 'pipe'] });
    return true;
  } catch (e) {
    console.error(`bench: debootstrap unavailable or failed (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); synthesising a tree`);
    return false;
  }
}

/** Deterministic pseudo-random bytes (compressible like binaries are, roughly 2:1). */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = i % 4 < 2 ? x & 0xff : 0x20 + (i % 64);
  }
  return b;
}

async function synthesise(dir: string): Promise<void> {
  let total = 0;
  let n = 0;
  for (let d = 0; total < 200e6; d++) {
    const sub = `${dir}/usr/lib/pkg${d % 40}/mod${d}`;
    await mkdir(sub, { recursive: true });
    for (let f = 0; f < 60; f++, n++) {
      // mostly small files, some medium, a few large: like a distribution's /usr
      const size = n % 97 === 0 ? 2_000_000 + (n % 7) * 300_000 : n % 9 === 0 ? 60_000 + (n % 13) * 5_000 : 200 + ((n * 7919) % 9000);
      await writeFile(`${sub}/f${f}.so`, bytes(size, n));
      total += size;
      if (f % 20 === 0) await symlink(`f${f}.so`, `${sub}/link${f}`);
      if (f % 30 === 0) await link(`${sub}/f${f}.so`, `${sub}/hard${f}`);
    }
  }
}

/** Make (or reuse) the cached rootfs tar and its gzip form. */
export async function ensureRootfs(): Promise<Rootfs> {
  const tar = `${CACHE}/rootfs.tar`;
  const gz = `${CACHE}/rootfs.tar.gz`;
  const sourceFile = `${CACHE}/rootfs.source`;
  if (existsSync(tar) && existsSync(gz) && existsSync(sourceFile)) return { tar, gz, source: readFileSync(sourceFile, 'utf8').trim() };
  await mkdir(CACHE, { recursive: true });
  const tree = `${CACHE}/tree`;
  await rm(tree, { recursive: true, force: true });
  let source: string;
  if (debootstrap(tree)) {
    source = 'debootstrap --variant=minbase --include=python3,perl,git bookworm, without apt caches, docs, man pages and locales';
  } else {
    await rm(tree, { recursive: true, force: true });
    await mkdir(tree, { recursive: true });
    await synthesise(tree);
    source = 'synthesised tree (files of mixed sizes, symlinks, hardlinks)';
  }
  const excludes = ['./var/cache/apt/archives/*.deb', './var/lib/apt/lists/*_*', './usr/share/doc/*', './usr/share/man/*', './usr/share/locale/*'];
  execFileSync('tar', ['-C', tree, ...excludes.map((x) => `--exclude=${x}`), '-cf', `${tar}.part`, '.']);
  execFileSync('sh', ['-c', `gzip -6 -c '${tar}.part' > '${gz}.part'`]);
  await rename(`${tar}.part`, tar);
  await rename(`${gz}.part`, gz);
  await writeFile(sourceFile, `${source}\n`);
  await rm(tree, { recursive: true, force: true });
  return { tar, gz, source };
}
