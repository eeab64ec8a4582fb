/**
 * Online garbage collection: runs while the registry serves.
 *
 * Mark: every manifest linked in every repository, and what it references (config, layers, child
 * manifests). Sweep: blobs nobody marked and nobody touched within the grace period; repository
 * blob links nothing in the repository uses; upload sessions idle longer than their own grace.
 *
 * Why an in-flight push is safe: every step of a push touches the blobs it relies on (a HEAD that
 * finds a blob, a completed upload of content already present, a mount, the manifest PUT's
 * presence check), so they are younger than the grace period until the manifest that references
 * them is linked, and from then on they are marked. A blob is removed by first renaming it into
 * trash/ and looking at its time again: a touch that raced with the decision shows there, and the
 * blob is put back. One GC at a time per root (an flock), whichever process runs it.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { parseDigest, isDigest, type Digest } from '../core/digest.js';
import { errnoCode } from '../core/errors.js';
import type { GcOptions, GcReport } from './contract.js';
import { referencedDigests } from './manifest.js';
import { readdirOrEmpty, type RegistryStorage } from './storage.js';
import type { UploadStore } from './uploads.js';
import { tryLockExclusive } from '../sys/libc.js';

async function mtimeOf(p: string): Promise<number | undefined> {
  try {
    return (await fsp.stat(p)).mtimeMs;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** Put back blobs a GC process left in trash/ when it died between its two looks. */
async function restoreTrash(storage: RegistryStorage): Promise<void> {
  for (const name of await readdirOrEmpty(storage.trashDir)) {
    const m = /^(sha256|sha512)-([a-f0-9]+)-[a-f0-9]+$/.exec(name);
    const digest = m ? `${m[1]}:${m[2]}` : '';
    const from = path.join(storage.trashDir, name);
    if (isDigest(digest) && !(await storage.content.has(digest))) await fsp.rename(from, storage.content.path(digest));
    else await fsp.rm(from, { force: true });
  }
}

/** Remove one unreferenced blob unless it was touched after `cutoff`; its size when removed. */
async function removeBlob(storage: RegistryStorage, digest: Digest, cutoff: number): Promise<number | undefined> {
  const { algorithm, hex } = parseDigest(digest);
  const live = storage.content.path(digest);
  const trash = path.join(storage.trashDir, `${algorithm}-${hex}-${randomBytes(4).toString('hex')}`);
  try {
    await fsp.rename(live, trash);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
  const st = await fsp.stat(trash);
  if (st.mtimeMs >= cutoff) {
    await fsp.rename(trash, live);
    return undefined;
  }
  await fsp.unlink(trash);
  return st.size;
}

export async function collectGarbage(storage: RegistryStorage, uploads: UploadStore, opts: GcOptions): Promise<GcReport> {
  const started = Date.now();
  const report: GcReport = { ran: false, repositories: 0, manifests: 0, markedBlobs: 0, removedBlobs: [], freedBytes: 0, removedLinks: 0, removedUploads: 0, durationMs: 0 };
  const lock = await fsp.open(path.join(storage.root, 'gc.lock'), 'a');
  try {
    if (!tryLockExclusive(lock.fd)) return report;
    report.ran = true;
    if (!opts.dryRun) await restoreTrash(storage);
    const cutoff = started - opts.graceMs;

    // Mark.
    const marked = new Set<Digest>();
    const usedByRepo = new Map<string, Set<Digest>>();
    const repositories = await storage.repositories();
    for (const repo of repositories) {
      const used = new Set<Digest>();
      for (const digest of await storage.manifestDigests(repo)) {
        report.manifests++;
        used.add(digest);
        const bytes = await storage.manifestBytes(digest).catch(() => undefined);
        if (bytes) referencedDigests(bytes).forEach((d) => used.add(d));
      }
      used.forEach((d) => marked.add(d));
      usedByRepo.set(repo, used);
    }
    report.repositories = repositories.length;
    report.markedBlobs = marked.size;

    // Sweep blobs.
    for await (const blob of storage.content.list()) {
      if (marked.has(blob.digest)) continue;
      const mtime = await mtimeOf(storage.content.path(blob.digest));
      if (mtime === undefined || mtime >= cutoff) continue;
      if (opts.dryRun) {
        report.removedBlobs.push(blob.digest);
        report.freedBytes += blob.size;
        continue;
      }
      const freed = await removeBlob(storage, blob.digest, cutoff);
      if (freed !== undefined) {
        report.removedBlobs.push(blob.digest);
        report.freedBytes += freed;
      }
    }

    // Sweep repository blob links nothing in their repository uses.
    for (const repo of repositories) {
      const used = usedByRepo.get(repo) ?? new Set<Digest>();
      for (const link of await storage.blobLinks(repo)) {
        if (used.has(link.digest) || link.mtimeMs >= cutoff) continue;
        const blobTime = await mtimeOf(storage.content.path(link.digest));
        if (blobTime !== undefined && blobTime >= cutoff) continue;
        if (!opts.dryRun) await storage.unlinkBlob(repo, link.digest);
        report.removedLinks++;
      }
    }

    report.removedUploads = (await uploads.purge(opts.uploadGraceMs, opts.dryRun)).length;
    if (!opts.dryRun) await storage.content.cleanIngest(opts.uploadGraceMs);
    return report;
  } finally {
    report.durationMs = Date.now() - started;
    await lock.close();
  }
}
