/**
 * The overlay snapshotter (layout and model in contract.ts).
 *
 * Crash safety: a snapshot exists once its `info.json` does, and that file is written last,
 * after syncfs (run by the extraction worker) made the files durable. With `sync: false` (berthd
 * --layer-sync=false) that holds for a killed process but not for a power cut: the record can
 * then name files the disk never got, nothing here notices, and a re-pull of the layer finds it
 * committed and keeps it (verifyExisting checks the incoming stream, not the files). Removal deletes the record first, then the files. So a process killed at any point leaves at
 * worst a numbered directory without a record, which open() deletes. One process owns a data-root (berthd's
 * lock); within it one mutex orders every change of the committed set (short: record writes and
 * removals, never extraction), so concurrent imports of one layer share it and a parent cannot
 * disappear under a child being committed.
 */
import { mkdir, readdir, rm, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { extractLayer } from '../archive/extract.js';
import { readTarSplit } from '../archive/tar-split.js';
import type { DiffSource } from '../archive/contract.js';
import { Digester, isDigest, type Digest } from '../core/digest.js';
import { conflict, errnoCode, internal, invalid, notFound } from '../core/errors.js';
import { ensureDir, fsyncDir, readJsonIfExists, removeTempLeftovers, writeJsonAtomic } from '../core/fsutil.js';
import { logger } from '../core/log.js';
import { Mutex } from '../core/mutex.js';
import { chainId as chainIdOf } from './chain.js';
import type { ActiveSnapshot, ApplyOptions, ApplyResult, CommittedSnapshot, Mount, SnapshotRecord, Snapshotter, Usage } from './contract.js';
import { diskUsage } from './usage.js';

export interface OverlayOptions {
  /** syncfs before committing a layer, so a power cut cannot leave a torn snapshot (default true). */
  sync?: boolean;
}

const RECORD = 'info.json';
/** The tar-split record of a committed snapshot's layer, beside fs/ (tar-split.ts). */
const SPLIT = 'layer.split';
const log = logger('snapshot');

export class OverlaySnapshotter implements Snapshotter {
  private readonly committed = new Map<Digest, CommittedSnapshot>();
  private readonly active = new Map<string, ActiveSnapshot>();
  private readonly metadata = new Mutex();
  private nextId = 1;

  private constructor(
    readonly root: string,
    private readonly sync: boolean,
  ) {}

  /** Open (creating) `root`, load the records and delete whatever a killed process left. */
  static async open(root: string, opts: OverlayOptions = {}): Promise<OverlaySnapshotter> {
    const s = new OverlaySnapshotter(root, opts.sync ?? true);
    await ensureDir(root, 0o700);
    await removeTempLeftovers(root);
    for (const name of await readdir(root)) {
      const id = /^[1-9][0-9]*$/.test(name) ? Number(name) : undefined;
      if (id === undefined) continue;
      s.nextId = Math.max(s.nextId, id + 1);
      const rec = await readJsonIfExists<SnapshotRecord>(`${root}/${name}/${RECORD}`).catch(() => undefined);
      if (rec === undefined || rec.id !== id) {
        await rm(`${root}/${name}`, { recursive: true, force: true });
        continue;
      }
      if (rec.kind === 'committed' && isDigest(rec.chainId) && isDigest(rec.diffId)) s.committed.set(rec.chainId, rec);
      else if (rec.kind === 'active' && typeof rec.key === 'string') s.active.set(rec.key, rec);
      else log.warn('ignoring a snapshot with an unreadable record', { dir: `${root}/${name}` }); // kept for a human to look at
    }
    return s;
  }

  private dir(id: number): string {
    return `${this.root}/${id}`;
  }

  /** A new, empty snapshot directory with a number nobody else has. */
  private async allocate(): Promise<number> {
    for (;;) {
      const id = this.nextId++;
      try {
        await mkdir(this.dir(id), { mode: 0o700 });
        return id;
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST') throw e;
      }
    }
  }

  private async commitRecord(rec: SnapshotRecord): Promise<void> {
    await writeJsonAtomic(`${this.dir(rec.id)}/${RECORD}`, rec, { mode: 0o600 });
  }

  async applyLayer(parent: Digest | undefined, tar: AsyncIterable<Uint8Array> | Readable, opts: ApplyOptions = {}): Promise<ApplyResult> {
    if (parent !== undefined && !this.committed.has(parent)) throw this.missing(parent);
    if (opts.expectedDiffId !== undefined) {
      const known = this.committed.get(chainIdOf(parent, opts.expectedDiffId));
      if (known) return this.verifyExisting(known, tar, opts.expectedDiffId);
    }
    const id = await this.allocate();
    let result;
    try {
      result = await extractLayer(tar, `${this.dir(id)}/fs`, {
        expectedDiffId: opts.expectedDiffId,
        limits: opts.limits,
        worker: opts.worker,
        sync: this.sync,
        splitFile: `${this.dir(id)}/${SPLIT}`,
      });
    } catch (e) {
      await rm(this.dir(id), { recursive: true, force: true });
      throw e;
    }
    const chainId = chainIdOf(parent, result.diffId);
    return this.metadata.run(async () => {
      const existing = this.committed.get(chainId);
      if (existing || (parent !== undefined && !this.committed.has(parent))) {
        await rm(this.dir(id), { recursive: true, force: true });
        if (!existing) throw this.missing(parent as Digest);
        return { chainId, diffId: result.diffId, size: existing.size, streamSize: result.streamSize, created: false };
      }
      const rec: CommittedSnapshot = {
        kind: 'committed',
        chainId,
        ...(parent ? { parent } : {}),
        diffId: result.diffId,
        size: result.size,
        streamSize: result.streamSize,
        split: SPLIT,
        id,
        created: new Date().toISOString(),
      };
      try {
        await this.commitRecord(rec);
      } catch (e) {
        await rm(this.dir(id), { recursive: true, force: true });
        throw e;
      }
      this.committed.set(chainId, rec);
      return { chainId, diffId: result.diffId, size: result.size, streamSize: result.streamSize, created: true };
    });
  }

  /** The layer is there already: consume the stream only to check it is the same content. */
  private async verifyExisting(known: CommittedSnapshot, tar: AsyncIterable<Uint8Array>, expected: Digest): Promise<ApplyResult> {
    const d = new Digester('sha256');
    for await (const chunk of tar) d.update(chunk);
    const got = d.digest();
    if (got !== expected) {
      throw invalid('ERR_LAYER_DIFFID_MISMATCH', `layer content does not match its diffID: expected ${expected}, got ${got}`, {
        hint: 'the layer blob or the image config is corrupt',
      });
    }
    return { chainId: known.chainId, diffId: known.diffId, size: known.size, streamSize: d.size, created: false };
  }

  stat(chainId: Digest): CommittedSnapshot | undefined {
    const rec = this.committed.get(chainId);
    return rec && { ...rec };
  }

  async *layerTar(chainId: Digest): AsyncGenerator<Uint8Array> {
    const rec = this.committed.get(chainId);
    if (rec === undefined) throw this.missing(chainId);
    if (rec.split !== SPLIT) {
      throw notFound('ERR_LAYER_SPLIT_MISSING', `layer ${rec.diffId} was unpacked before berth kept tar-split records: its tar cannot be rebuilt`, {
        hint: 'remove the images that use it and import them again',
      });
    }
    const d = new Digester('sha256');
    for await (const chunk of readTarSplit(`${this.dir(rec.id)}/${SPLIT}`, `${this.dir(rec.id)}/fs`)) {
      d.update(chunk);
      yield chunk;
    }
    const got = d.digest();
    if (got !== rec.diffId || (rec.streamSize !== undefined && d.size !== rec.streamSize)) {
      throw internal('ERR_LAYER_SPLIT_CORRUPT', `the files of layer ${rec.diffId} changed since the layer was unpacked: its tar rebuilds as ${got} (${d.size} bytes)`, {
        hint: 'remove the images that use it and import or pull them again',
      });
    }
  }

  async prepare(key: string, parent: Digest | undefined): Promise<Mount[]> {
    if (key === '' || isDigest(key) || key.includes('\0')) {
      throw invalid('ERR_SNAPSHOT_KEY_INVALID', `invalid snapshot key "${key}": keys are non-empty and must not look like a digest`);
    }
    this.checkPrepare(key, parent); // early, and again when registering (things may change meanwhile)
    const id = await this.allocate();
    const rec: ActiveSnapshot = { kind: 'active', key, ...(parent ? { parent } : {}), id, created: new Date().toISOString() };
    try {
      await mkdir(`${this.dir(id)}/fs`, { mode: 0o755 });
      await mkdir(`${this.dir(id)}/work`, { mode: 0o700 });
      await this.metadata.run(async () => {
        this.checkPrepare(key, parent);
        await this.commitRecord(rec);
        this.active.set(key, rec);
      });
    } catch (e) {
      await rm(this.dir(id), { recursive: true, force: true });
      throw e;
    }
    return this.mountsOf(rec);
  }

  private checkPrepare(key: string, parent: Digest | undefined): void {
    if (this.active.has(key)) throw conflict('ERR_SNAPSHOT_EXISTS', `snapshot "${key}" already exists`);
    if (parent !== undefined && !this.committed.has(parent)) throw this.missing(parent);
  }

  mounts(key: string): Mount[] {
    return this.mountsOf(this.activeOrThrow(key));
  }

  diffSource(key: string): DiffSource {
    const rec = this.activeOrThrow(key);
    return { upper: `${this.dir(rec.id)}/fs`, lowers: this.lowerDirs(rec.parent) };
  }

  /** Lower directories of a stack, topmost first (overlay's lowerdir order). */
  private lowerDirs(parent: Digest | undefined): string[] {
    const out: string[] = [];
    for (let c = parent; c !== undefined; ) {
      const rec = this.committed.get(c);
      if (rec === undefined) throw this.missing(c);
      out.push(`${this.dir(rec.id)}/fs`);
      c = rec.parent;
    }
    return out;
  }

  private mountsOf(rec: ActiveSnapshot): Mount[] {
    const upper = `${this.dir(rec.id)}/fs`;
    if (rec.parent === undefined) return [{ type: 'bind', source: upper, options: ['rbind', 'rw'] }];
    return [
      {
        type: 'overlay',
        source: 'overlay',
        // index/redirect_dir/metacopy off: the upper must hold whole files and plain
        // directories, so the layer differ can read it without the lowers' help
        options: [`lowerdir=${this.lowerDirs(rec.parent).join(':')}`, `upperdir=${upper}`, `workdir=${this.dir(rec.id)}/work`, 'index=off', 'redirect_dir=off', 'metacopy=off'],
      },
    ];
  }

  private activeOrThrow(key: string): ActiveSnapshot {
    const rec = this.active.get(key);
    if (rec === undefined) throw notFound('ERR_SNAPSHOT_NOT_FOUND', `no such snapshot: ${key}`);
    return rec;
  }

  private missing(name: string) {
    return notFound('ERR_SNAPSHOT_NOT_FOUND', `no such snapshot: ${name}`);
  }

  private recordOf(keyOrChainId: string): SnapshotRecord {
    const rec = this.active.get(keyOrChainId) ?? (isDigest(keyOrChainId) ? this.committed.get(keyOrChainId) : undefined);
    if (rec === undefined) throw this.missing(keyOrChainId);
    return rec;
  }

  async remove(keyOrChainId: string): Promise<void> {
    const rec = this.recordOf(keyOrChainId);
    if (rec.kind === 'committed') {
      await this.metadata.run(async () => {
        const child = [...this.committed.values(), ...this.active.values()].find((r) => r.parent === rec.chainId);
        if (child) {
          const name = child.kind === 'committed' ? child.chainId : child.key;
          throw conflict('ERR_SNAPSHOT_IN_USE', `snapshot ${rec.chainId} is the parent of ${name}`);
        }
        this.committed.delete(rec.chainId);
        await this.erase(rec.id);
      });
      return;
    }
    await this.metadata.run(async () => {
      if (this.active.get(rec.key) !== rec) return; // removed meanwhile
      this.active.delete(rec.key);
      await this.erase(rec.id);
    });
  }

  /** Record first (the snapshot stops existing atomically), then the files. */
  private async erase(id: number): Promise<void> {
    try {
      await unlink(`${this.dir(id)}/${RECORD}`);
      await fsyncDir(this.dir(id));
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    await rm(this.dir(id), { recursive: true, force: true });
  }

  async usage(keyOrChainId: string): Promise<Usage> {
    return diskUsage(`${this.dir(this.recordOf(keyOrChainId).id)}/fs`);
  }

  list(): SnapshotRecord[] {
    return [...this.committed.values(), ...this.active.values()].map((r) => ({ ...r }));
  }
}
