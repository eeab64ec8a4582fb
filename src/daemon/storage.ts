/**
 * The real storage berthd runs with: the overlay snapshotter seen as the image service's
 * LayerStore, and the archive domain's decompression.
 */
import { openDecompressed } from '../archive/compression.js';
import type { Digest } from '../core/digest.js';
import type { LayerStore } from '../image/contract.js';
import { OverlaySnapshotter } from '../snapshot/overlay.js';
import type { CommittedSnapshot } from '../snapshot/contract.js';

export interface Storage {
  snapshots: OverlaySnapshotter;
  layers: LayerStore;
  /** GraphDriver.Data of an image whose layers are these ChainIDs (base first). */
  graphDriver(chainIds: Digest[]): { name: string; data: Record<string, string> };
}

/** Committed ChainIDs ordered so every child comes before its parent (safe removal order). */
function childrenFirst(committed: CommittedSnapshot[]): Digest[] {
  const depth = new Map<Digest, number>();
  const byId = new Map(committed.map((c) => [c.chainId, c]));
  const depthOf = (c: CommittedSnapshot): number => {
    const known = depth.get(c.chainId);
    if (known !== undefined) return known;
    const parent = c.parent ? byId.get(c.parent) : undefined;
    const d = parent ? depthOf(parent) + 1 : 0;
    depth.set(c.chainId, d);
    return d;
  };
  return [...committed].sort((a, b) => depthOf(b) - depthOf(a)).map((c) => c.chainId);
}

/** `sync`: flush each extracted layer to disk before it is committed (DaemonConfig.layerSync). */
export async function openStorage(root: string, opts: { sync: boolean }): Promise<Storage> {
  const snapshots = await OverlaySnapshotter.open(root, { sync: opts.sync });
  const layers: LayerStore = {
    async applyLayer(parent, tar, opts) {
      const r = await snapshots.applyLayer(parent, tar, opts.expectedDiffId ? { expectedDiffId: opts.expectedDiffId } : {});
      return { diffId: r.diffId, chainId: r.chainId, size: r.size, streamSize: r.streamSize };
    },
    has: (chainId) => snapshots.stat(chainId) !== undefined,
    layerTar: (chainId) => snapshots.layerTar(chainId),
    remove: (chainId) => snapshots.remove(chainId),
    list: () => childrenFirst(snapshots.list().filter((r): r is CommittedSnapshot => r.kind === 'committed')),
  };
  return {
    snapshots,
    layers,
    graphDriver(chainIds) {
      const dirs = chainIds.map((c) => snapshots.stat(c)).map((s) => (s ? `${root}/${s.id}/fs` : ''));
      const top = dirs.pop() ?? '';
      return { name: 'overlayfs', data: { ...(dirs.length ? { LowerDir: dirs.reverse().join(':') } : {}), UpperDir: top } };
    },
  };
}

export async function decompress(body: AsyncIterable<Uint8Array>): Promise<AsyncIterable<Uint8Array>> {
  return (await openDecompressed(body)).stream;
}
