/**
 * The image service: what berthd does with images. It ties the content store (configs,
 * manifests, blobs that came from elsewhere), the layer store (snapshots; a layer made here is
 * kept only as its snapshot plus tar-split record, which rebuild its tar on demand) and the
 * image index (records and references) together, and keeps them consistent: nothing is
 * referenced before it is stored, and garbage collection removes only what no image, container
 * or in-flight operation holds.
 */
import type { ContentStore } from '../content/contract.js';
import { digestOf, type Digest } from '../core/digest.js';
import { invalid, notFound } from '../core/errors.js';
import { nowRfc3339Nano } from '../core/humanize.js';
import { labelMatches } from '../core/labels.js';
import { logger } from '../core/log.js';
import { applyChanges } from './changes.js';
import type { DeleteRecord, ImageDetails, ImageRecord, ImageUsage, ImportOptions, LayerStore, PruneResult } from './contract.js';
import { deleteImage } from './delete.js';
import { MediaType, type ImageConfig, type Manifest } from './oci.js';
import { checkTag, DEFAULT_TAG, parseReference, type Reference } from './reference.js';
import type { ImageIndex } from './store.js';

const log = logger('image');

export type ImageEvent = { action: 'import' | 'tag' | 'untag' | 'delete' | 'prune' | 'commit'; id: Digest; name: string };

export interface ImageServiceDeps {
  content: ContentStore;
  layers: LayerStore;
  index: ImageIndex;
  /** Undo the layer's compression: sniffed from its first bytes. */
  decompress(body: AsyncIterable<Uint8Array>): Promise<AsyncIterable<Uint8Array>>;
  /** Set later by the container service; until then no container uses any image. */
  usage?: ImageUsage;
  /** ChainIDs that containers' writable snapshots stand on (kept by GC even without an image). */
  containerChains?: () => Digest[];
  onEvent?: (e: ImageEvent) => void;
}

export class ImageService {
  private readonly configs = new Map<Digest, ImageConfig>();
  private readonly manifests = new Map<Digest, Manifest>();
  /** Digests and ChainIDs held by operations in flight; GC keeps them. */
  private readonly leases = new Map<string, number>();

  constructor(private readonly deps: ImageServiceDeps) {}

  /** Publish image events (import, tag, untag, delete, prune) to `fn`. */
  onEvent(fn: (e: ImageEvent) => void): void {
    this.deps.onEvent = fn;
  }

  setUsage(usage: ImageUsage, containerChains: () => Digest[]): void {
    this.deps.usage = usage;
    this.deps.containerChains = containerChains;
  }

  get index(): ImageIndex {
    return this.deps.index;
  }

  private usage(): ImageUsage {
    return this.deps.usage ?? { containersUsing: () => [] };
  }

  private emit(action: ImageEvent['action'], id: Digest, name: string): void {
    this.deps.onEvent?.({ action, id, name });
  }

  async config(id: Digest): Promise<ImageConfig> {
    let cfg = this.configs.get(id);
    if (!cfg) {
      cfg = JSON.parse((await this.deps.content.read(id)).toString('utf8')) as ImageConfig;
      this.configs.set(id, cfg);
    }
    return cfg;
  }

  async manifest(rec: ImageRecord): Promise<Manifest> {
    let m = this.manifests.get(rec.manifest.digest);
    if (!m) {
      m = JSON.parse((await this.deps.content.read(rec.manifest.digest)).toString('utf8')) as Manifest;
      this.manifests.set(rec.manifest.digest, m);
    }
    return m;
  }

  async details(rec: ImageRecord): Promise<ImageDetails> {
    const refs = this.deps.index.references(rec.id);
    return {
      record: rec,
      config: await this.config(rec.id),
      manifest: await this.manifest(rec),
      tags: refs.filter((r) => r.digest === undefined),
      digests: refs.filter((r) => r.digest !== undefined),
    };
  }

  /** Resolve a name or ID as dockerd does; throws "No such image". */
  resolve(text: string): ImageRecord {
    return this.deps.index.resolve(text);
  }

  async inspect(text: string): Promise<ImageDetails> {
    return this.details(this.resolve(text));
  }

  async list(): Promise<ImageDetails[]> {
    return Promise.all(this.deps.index.all().map((r) => this.details(r)));
  }

  size(rec: ImageRecord): number {
    return rec.layers.reduce((n, l) => n + l.size, 0);
  }

  // ---- names -------------------------------------------------------------

  async tag(source: string, repo: string, tag: string | undefined): Promise<Reference> {
    return this.deps.index.lock.run(async () => {
      const rec = this.resolve(source);
      const ref = parseReference(repo);
      if (ref.digest !== undefined) throw invalid('ERR_REFERENCE_INVALID', 'refusing to create a tag with a digest reference');
      if (tag) {
        checkTag(tag);
        if (ref.tag !== undefined) throw invalid('ERR_REFERENCE_INVALID', 'invalid reference format');
        ref.tag = tag;
      }
      if (ref.tag === undefined) ref.tag = DEFAULT_TAG;
      await this.deps.index.setReference(ref, rec.id);
      await this.deps.index.putRecord({ ...rec, lastTagTime: nowRfc3339Nano() });
      this.emit('tag', rec.id, `${ref.domain}/${ref.path}:${ref.tag}`);
      return ref;
    });
  }

  async remove(text: string, opts: { force: boolean; prune: boolean }): Promise<DeleteRecord[]> {
    return this.deps.index.lock.run(() =>
      deleteImage(
        this.deps.index,
        {
          usage: this.usage(),
          dropImage: (id) => this.dropImage(id),
          event: (action, id, name) => this.emit(action, id, name),
        },
        text,
        opts,
      ),
    );
  }

  /** Delete an image record and sweep what it alone held. Caller holds the index lock. */
  private async dropImage(id: Digest): Promise<Digest[]> {
    await this.deps.index.deleteRecord(id);
    this.configs.delete(id);
    const { chains } = await this.sweep();
    return chains;
  }

  /**
   * Remove unused images: dangling ones (no names, no children), or with `all` every image no
   * container uses. Filters: `until` (timestamp) and `label` (k or k=v, `label!=`).
   */
  async prune(opts: { all: boolean; until?: number; labels?: string[]; notLabels?: string[] }): Promise<PruneResult> {
    const deleted: DeleteRecord[] = [];
    let reclaimed = 0;
    const candidates = async () => {
      const out: ImageRecord[] = [];
      for (const rec of this.deps.index.all()) {
        if (this.usage().containersUsing(rec.id).length > 0) continue;
        if (this.deps.index.children(rec.id).length > 0) continue;
        if (!opts.all && this.deps.index.references(rec.id).length > 0) continue;
        const cfg = await this.config(rec.id);
        if (opts.until !== undefined && cfg.created && Date.parse(cfg.created) / 1000 >= opts.until) continue;
        const labels = cfg.config?.Labels ?? {};
        if (opts.labels && !opts.labels.every((l) => labelMatches(labels, l))) continue;
        if (opts.notLabels && opts.notLabels.some((l) => labelMatches(labels, l))) continue;
        out.push(rec);
      }
      return out;
    };
    // Removing an image can make its parent prunable; repeat until nothing changes.
    for (let round = 0; round < 100; round++) {
      const batch = await candidates();
      if (batch.length === 0) break;
      // What is reclaimed is the layers actually removed, as dockerd counts it: a layer other
      // images still share frees nothing. (Sizes as the round starts: it only removes images.)
      const layerSizes = new Map(this.deps.index.all().flatMap((r) => r.layers.map((l) => [l.chainId, l.size] as const)));
      for (const rec of batch) {
        try {
          const records = await this.remove(rec.id, { force: false, prune: true });
          deleted.push(...records);
          for (const r of records) if ('Deleted' in r) reclaimed += layerSizes.get(r.Deleted as Digest) ?? 0;
          this.emit('prune', rec.id, rec.id);
        } catch (e) {
          log.warn('prune skipped an image', { id: rec.id, error: (e as Error).message });
        }
      }
    }
    return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  // ---- import --------------------------------------------------------------

  /** Hold digests/ChainIDs against GC while an operation is in flight (until the returned release). */
  lease(keys: string[]): () => void {
    for (const k of keys) this.leases.set(k, (this.leases.get(k) ?? 0) + 1);
    return () => {
      for (const k of keys) {
        const n = (this.leases.get(k) ?? 1) - 1;
        if (n <= 0) this.leases.delete(k);
        else this.leases.set(k, n);
      }
    };
  }

  /**
   * `docker import`: one layer from a (possibly compressed) tar stream, a fresh config with the
   * `changes` applied, stored and optionally tagged. Returns the image ID.
   */
  async importImage(body: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<Digest> {
    const ref = opts.reference ? parseReference(opts.reference) : undefined;
    if (ref?.digest !== undefined) throw invalid('ERR_REFERENCE_INVALID', 'refusing to create a tag with a digest reference');
    const baseConfig = applyChanges({}, opts.changes ?? []);
    // The HTTP body's chunks go as they come: extractLayer regroups them for its worker anyway.
    const tar = await this.deps.decompress(body);
    // The layer is the uncompressed tar (an OCI layer: digest = diffID). No blob is stored: the
    // snapshot and its tar-split record rebuild the exact tar when it is needed.
    const unpacked = await this.deps.layers.applyLayer(undefined, tar, {});
    const release = this.lease([unpacked.chainId]);
    try {
      const created = nowRfc3339Nano();
      const comment = opts.message || 'Imported from -';
      const config: ImageConfig = {
        architecture: opts.platform?.architecture ?? nativeArchitecture(),
        os: opts.platform?.os ?? 'linux',
        ...(opts.platform?.variant ? { variant: opts.platform.variant } : {}),
        config: baseConfig,
        created,
        comment,
        history: [{ created, comment }],
        rootfs: { type: 'layers', diff_ids: [unpacked.diffId] },
      };
      const layer = { digest: unpacked.diffId, diffId: unpacked.diffId, chainId: unpacked.chainId, size: unpacked.size, mediaType: MediaType.OciLayer, blobSize: unpacked.streamSize };
      return await this.storeImage(config, [layer], { reference: ref, event: 'import' });
    } finally {
      release();
    }
  }

  /**
   * Write config and manifest blobs and the image record, then tag. Used by import, commit and
   * (later) pull, build and load.
   */
  async storeImage(
    config: ImageConfig,
    layers: Array<{ digest: Digest; diffId: Digest; chainId: Digest; size: number; mediaType: string; blobSize: number }>,
    opts: { reference?: Reference; parent?: Digest; event: ImageEvent['action'] },
  ): Promise<Digest> {
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDigest = digestOf(configBytes);
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blobSize })),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    // both blobs are unreferenced until the record is written: a sweep in between must spare them
    const release = this.lease([configDigest, digestOf(manifestBytes)]);
    try {
      await this.deps.content.put(configBytes, configDigest);
      const manifestInfo = await this.deps.content.put(manifestBytes);
      return await this.deps.index.lock.run(async () => {
        const existing = this.deps.index.get(configDigest);
        const rec: ImageRecord = {
          id: configDigest,
          manifest: { mediaType: MediaType.OciManifest, digest: manifestInfo.digest, size: manifestInfo.size },
          layers: layers.map((l) => ({ digest: l.digest, diffId: l.diffId, chainId: l.chainId, size: l.size })),
          stored: existing?.stored ?? nowRfc3339Nano(),
          ...(opts.parent ? { parent: opts.parent } : existing?.parent ? { parent: existing.parent } : {}),
        };
        if (opts.reference) rec.lastTagTime = nowRfc3339Nano();
        await this.deps.index.putRecord(rec);
        this.configs.set(configDigest, config);
        this.emit(opts.event, configDigest, configDigest);
        if (opts.reference) {
          const ref = { ...opts.reference };
          if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
          await this.deps.index.setReference(ref, configDigest);
          this.emit('tag', configDigest, `${ref.domain}/${ref.path}:${ref.tag}`);
        }
        return configDigest;
      });
    } finally {
      release();
    }
  }

  // ---- garbage collection -------------------------------------------------------

  /** What image records and containers hold: their ChainIDs and blobs (leases aside). */
  private held(): { chains: Set<string>; blobs: Set<string> } {
    const chains = new Set<string>(this.deps.containerChains?.() ?? []);
    const blobs = new Set<string>();
    for (const rec of this.deps.index.all()) {
      blobs.add(rec.id);
      blobs.add(rec.manifest.digest);
      for (const l of rec.layers) {
        chains.add(l.chainId);
        blobs.add(l.digest);
      }
    }
    return { chains, blobs };
  }

  /** Remove one layer snapshot if nothing holds it (a commit's empty layer), without a whole sweep. */
  async dropLayerIfUnused(chainId: Digest): Promise<void> {
    await this.deps.index.lock.run(async () => {
      if (this.leases.has(chainId) || this.held().chains.has(chainId) || !this.deps.layers.has(chainId)) return;
      await this.deps.layers.remove(chainId);
    });
  }

  /**
   * Remove layer snapshots and blobs that no image, container or in-flight operation holds.
   * (Layers made here have no blob: their digest keeps nothing, their ChainID keeps the
   * snapshot with its tar-split record.) Caller holds the index lock (or runs before the daemon
   * serves).
   */
  async sweep(): Promise<{ chains: Digest[]; blobs: number }> {
    const { chains: keepChains, blobs: keepBlobs } = this.held();
    const removedChains: Digest[] = [];
    // Remove top layers first so a parent is never removed under a child.
    for (const chainId of this.deps.layers.list()) {
      if (keepChains.has(chainId) || this.leases.has(chainId)) continue;
      await this.deps.layers.remove(chainId);
      removedChains.push(chainId);
    }
    let blobs = 0;
    for await (const b of this.deps.content.list()) {
      if (keepBlobs.has(b.digest) || this.leases.has(b.digest)) continue;
      if (await this.deps.content.delete(b.digest)) blobs++;
    }
    return { chains: removedChains, blobs };
  }

  /** The record of an image or a 404 with Docker's wording. */
  get(id: Digest): ImageRecord {
    const rec = this.deps.index.get(id);
    if (!rec) throw notFound('ERR_IMAGE_NOT_FOUND', `No such image: ${id}`);
    return rec;
  }
}

/** GOARCH name of this machine (amd64, arm64, ...), as image configs record it. */
export function nativeArchitecture(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
  return map[process.arch] ?? process.arch;
}
