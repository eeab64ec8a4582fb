/**
 * The registry's storage: one content store for every blob (dedup across repositories) and, per
 * repository, small link files saying what the repository has. Every piece of state is a file
 * written atomically, so several `serve` processes can share one root and a SIGKILL leaves either
 * the old or the new state.
 *
 *   <root>/content/blobs/<alg>/<hex>                              blob bytes (layers, configs, manifests)
 *   <root>/repositories/<name>/_blobs/<alg>/<hex>                 the repository has this blob (empty file)
 *   <root>/repositories/<name>/_manifests/<alg>/<hex>             the repository has this manifest: {"mediaType","size"}
 *   <root>/repositories/<name>/_tags/<tag>                        the digest the tag points at
 *   <root>/repositories/<name>/_referrers/<alg>/<hex>/<alg>-<hex> a manifest whose subject is <alg>:<hex>: its descriptor
 *   <root>/catalog/<name, url-encoded>                            the repository exists (the catalog's index)
 *
 * Name components never start with `_`, so the link directories cannot collide with a nested
 * repository name.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { parseDigest, type Digest, isDigest } from '../core/digest.js';
import { errnoCode, isKind } from '../core/errors.js';
import { ensureDir, exists, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from '../core/fsutil.js';
import { LocalContentStore } from '../content/local.js';
import type { Descriptor } from '../image/oci.js';
import { ByteCache } from './bytecache.js';

export interface ManifestLink {
  mediaType: string;
  size: number;
}

export interface StoredManifest extends ManifestLink {
  digest: Digest;
  bytes: Buffer;
}

export interface BlobStat {
  size: number;
  /** Last time a push or pull touched the blob (GC keeps blobs younger than its grace period). */
  mtimeMs: number;
}

/** Read a directory, treating a missing one as empty and skipping atomic-write leftovers. */
export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).filter((n) => !n.startsWith('.tmp-'));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return [];
    throw e;
  }
}

async function statOrUndefined(p: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    return await fsp.stat(p);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * A small metadata file (a tag, a manifest link: tens of bytes, in the page cache), read
 * synchronously: one read costs microseconds on the event loop, while the asynchronous readFile
 * takes four trips through the thread pool, which halves the rate of manifest GETs (measured with
 * bench/registry). Undefined when absent.
 */
function readSmall(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
    throw e;
  }
}

async function removeIfExists(p: string): Promise<boolean> {
  try {
    await fsp.unlink(p);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
}

export class RegistryStorage {
  readonly repositoriesDir: string;
  readonly catalogDir: string;
  readonly uploadsDir: string;
  readonly trashDir: string;
  /** Directories known to exist (they are never removed while serving). */
  private readonly madeDirs = new Set<string>();
  private readonly knownRepos = new Set<string>();
  /** Manifest bytes by digest: content-addressed, so a cached copy can never be stale. */
  private readonly manifestCache = new ByteCache(32 << 20, 1 << 20);

  private constructor(
    readonly root: string,
    readonly content: LocalContentStore,
  ) {
    this.repositoriesDir = path.join(root, 'repositories');
    this.catalogDir = path.join(root, 'catalog');
    this.uploadsDir = path.join(root, 'uploads');
    this.trashDir = path.join(root, 'trash');
  }

  static async open(root: string): Promise<RegistryStorage> {
    await ensureDir(root, 0o755);
    const content = await LocalContentStore.open(path.join(root, 'content'));
    const s = new RegistryStorage(root, content);
    for (const d of [s.repositoriesDir, s.catalogDir, s.uploadsDir, s.trashDir]) await ensureDir(d, 0o755);
    return s;
  }

  private repoDir(name: string): string {
    return path.join(this.repositoriesDir, name);
  }

  private digestPath(name: string, kind: '_blobs' | '_manifests', digest: Digest): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.repoDir(name), kind, algorithm, hex);
  }

  private tagPath(name: string, tag: string): string {
    return path.join(this.repoDir(name), '_tags', tag);
  }

  private referrersDir(name: string, subject: Digest): string {
    const { algorithm, hex } = parseDigest(subject);
    return path.join(this.repoDir(name), '_referrers', algorithm, hex);
  }

  private async mkdirOnce(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await ensureDir(dir, 0o755);
    this.madeDirs.add(dir);
  }

  /** Record the repository in the catalog index the first time something is stored in it. */
  private async registerRepository(name: string): Promise<void> {
    if (this.knownRepos.has(name)) return;
    const marker = path.join(this.catalogDir, encodeURIComponent(name));
    if (!(await exists(marker))) await writeFileAtomic(marker, '');
    this.knownRepos.add(name);
  }

  async repositoryExists(name: string): Promise<boolean> {
    return this.knownRepos.has(name) || (await exists(path.join(this.catalogDir, encodeURIComponent(name))));
  }

  /** Every repository, sorted byte-wise, from the catalog index (no storage walk). */
  async repositories(): Promise<string[]> {
    const names = (await readdirOrEmpty(this.catalogDir)).map((n) => decodeURIComponent(n));
    return names.sort(byteOrder);
  }

  // ---- blobs ---------------------------------------------------------------------------------

  /** The blob when the repository has it and its bytes are present. */
  async statBlob(name: string, digest: Digest): Promise<BlobStat | undefined> {
    // Synchronous stats, for the reason readSmall gives: HEAD requests are this and nothing else.
    const link = fs.statSync(this.digestPath(name, '_blobs', digest), { throwIfNoEntry: false });
    const blob = link && fs.statSync(this.content.path(digest), { throwIfNoEntry: false });
    if (!blob) return undefined;
    return { size: blob.size, mtimeMs: blob.mtimeMs };
  }

  async linkBlob(name: string, digest: Digest): Promise<void> {
    await this.registerRepository(name);
    const p = this.digestPath(name, '_blobs', digest);
    await this.mkdirOnce(path.dirname(p));
    await writeFileAtomic(p, '');
  }

  async unlinkBlob(name: string, digest: Digest): Promise<boolean> {
    return removeIfExists(this.digestPath(name, '_blobs', digest));
  }

  /**
   * Mark a blob as just used, so that GC's grace period protects it until the push that needs it
   * has linked it into a manifest. False when the blob is not (or no longer) in the store.
   */
  async touchBlob(digest: Digest): Promise<boolean> {
    const now = new Date();
    try {
      await fsp.utimes(this.content.path(digest), now, now);
      return true;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return false;
      throw e;
    }
  }

  async blobLinks(name: string): Promise<{ digest: Digest; mtimeMs: number }[]> {
    return this.digestLinks(name, '_blobs');
  }

  private async digestLinks(name: string, kind: '_blobs' | '_manifests'): Promise<{ digest: Digest; mtimeMs: number }[]> {
    const out: { digest: Digest; mtimeMs: number }[] = [];
    for (const algorithm of ['sha256', 'sha512']) {
      const dir = path.join(this.repoDir(name), kind, algorithm);
      for (const hex of await readdirOrEmpty(dir)) {
        const digest = `${algorithm}:${hex}`;
        const st = await statOrUndefined(path.join(dir, hex));
        if (st && isDigest(digest)) out.push({ digest, mtimeMs: st.mtimeMs });
      }
    }
    return out;
  }

  // ---- manifests -----------------------------------------------------------------------------

  async manifestLink(name: string, digest: Digest): Promise<ManifestLink | undefined> {
    const text = readSmall(this.digestPath(name, '_manifests', digest));
    return text === undefined ? undefined : (JSON.parse(text) as ManifestLink);
  }

  async manifestDigests(name: string): Promise<Digest[]> {
    return (await this.digestLinks(name, '_manifests')).map((l) => l.digest);
  }

  /** Manifest bytes from the content store (cached: they are immutable). */
  async manifestBytes(digest: Digest): Promise<Buffer> {
    const cached = this.manifestCache.get(digest);
    if (cached) return cached;
    const bytes = await this.content.read(digest);
    this.manifestCache.set(digest, bytes);
    return bytes;
  }

  async getManifest(name: string, digest: Digest): Promise<StoredManifest | undefined> {
    const link = await this.manifestLink(name, digest);
    if (!link) return undefined;
    try {
      return { ...link, digest, bytes: await this.manifestBytes(digest) };
    } catch (e) {
      // Linked but its bytes are gone (removed by hand): as good as absent.
      if (isKind(e, 'not-found')) return undefined;
      throw e;
    }
  }

  /**
   * Store a validated manifest: bytes into the content store, then the repository's link, then
   * the referrers entry when it has a subject. The link is what makes it visible, so a reader
   * never sees a manifest whose bytes are missing.
   */
  async putManifest(name: string, digest: Digest, mediaType: string, bytes: Buffer, referrer?: { subject: Digest; descriptor: Descriptor }): Promise<void> {
    await this.registerRepository(name);
    if (!(await this.touchBlob(digest))) await this.content.put(bytes, digest);
    const link = this.digestPath(name, '_manifests', digest);
    await this.mkdirOnce(path.dirname(link));
    await writeJsonAtomic(link, { mediaType, size: bytes.length } satisfies ManifestLink);
    if (referrer) {
      const dir = this.referrersDir(name, referrer.subject);
      await this.mkdirOnce(dir);
      const { algorithm, hex } = parseDigest(digest);
      await writeJsonAtomic(path.join(dir, `${algorithm}-${hex}`), referrer.descriptor);
    }
  }

  /** Remove a manifest from a repository with every tag that points at it. False when absent. */
  async deleteManifest(name: string, digest: Digest, subject?: Digest): Promise<boolean> {
    if (!(await removeIfExists(this.digestPath(name, '_manifests', digest)))) return false;
    for (const tag of await this.tags(name)) {
      if ((await this.resolveTag(name, tag)) === digest) await removeIfExists(this.tagPath(name, tag));
    }
    if (subject) {
      const { algorithm, hex } = parseDigest(digest);
      await removeIfExists(path.join(this.referrersDir(name, subject), `${algorithm}-${hex}`));
    }
    return true;
  }

  // ---- tags ----------------------------------------------------------------------------------

  async setTag(name: string, tag: string, digest: Digest): Promise<void> {
    const p = this.tagPath(name, tag);
    await this.mkdirOnce(path.dirname(p));
    await writeFileAtomic(p, digest);
  }

  async resolveTag(name: string, tag: string): Promise<Digest | undefined> {
    const text = readSmall(this.tagPath(name, tag));
    return text !== undefined && isDigest(text) ? text : undefined;
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    return removeIfExists(this.tagPath(name, tag));
  }

  /** Tags sorted byte-wise (satisfies both the v1.1 and the main-branch ordering rules). */
  async tags(name: string): Promise<string[]> {
    return (await readdirOrEmpty(path.join(this.repoDir(name), '_tags'))).sort(byteOrder);
  }

  // ---- referrers -----------------------------------------------------------------------------

  async referrers(name: string, subject: Digest): Promise<Descriptor[]> {
    const dir = this.referrersDir(name, subject);
    const out: Descriptor[] = [];
    for (const entry of (await readdirOrEmpty(dir)).sort()) {
      const descriptor = await readJsonIfExists<Descriptor>(path.join(dir, entry));
      // A manifest deleted by another process between the two steps of deleteManifest.
      if (descriptor && (await this.manifestLink(name, descriptor.digest))) out.push(descriptor);
    }
    return out;
  }
}

export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
