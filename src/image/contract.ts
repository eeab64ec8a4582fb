/**
 * The image domain's contract. An image is identified by the digest of its config (Docker's
 * image ID); its record points at the manifest in the content store and remembers the snapshot
 * (ChainID) and unpacked size of each layer. References (`repo:tag`, `repo@digest`) map names to
 * image IDs.
 */
import type { Digest } from '../core/digest.js';
import type { Descriptor, ImageConfig, Manifest } from './oci.js';
import type { Reference } from './reference.js';

export interface LayerRecord {
  /**
   * Digest of the layer blob as distributed (compressed or not). For layers made here (import,
   * commit) it is the diffID of the uncompressed tar, and no blob is stored: the snapshot
   * rebuilds the tar on demand (LayerStore.layerTar).
   */
  digest: Digest;
  /** Digest of the uncompressed tar. */
  diffId: Digest;
  /** Snapshot holding the unpacked layer stacked on its parents. */
  chainId: Digest;
  /** Bytes of file content the layer adds (what `docker images` sums). */
  size: number;
}

export interface ImageRecord {
  id: Digest;
  /** The manifest this image was stored with (in the content store). */
  manifest: Descriptor;
  layers: LayerRecord[];
  /** The image this one was built or committed from, when known locally. */
  parent?: Digest;
  /** When the record was written locally (RFC 3339). */
  stored: string;
  lastTagTime?: string;
}

/** An image record with its config and manifest read, and its references. */
export interface ImageDetails {
  record: ImageRecord;
  config: ImageConfig;
  manifest: Manifest;
  tags: Reference[];
  digests: Reference[];
}

/** Answer of an image deletion: Docker's `[{"Untagged": ...}, {"Deleted": ...}]`. */
export type DeleteRecord = { Untagged: string } | { Deleted: string };

/** Which containers use an image; provided by the container service. */
export interface ImageUsage {
  containersUsing(imageId: Digest): Array<{ id: string; running: boolean }>;
}

/** The layer storage the image service unpacks into (the snapshotter, seen from images). */
export interface LayerStore {
  /**
   * Unpack an uncompressed layer tar on top of `parent` (a ChainID) and commit it under its
   * ChainID. Fails with ERR_DIFFID_MISMATCH when `expectedDiffId` is given and does not match.
   */
  applyLayer(parent: Digest | undefined, tar: AsyncIterable<Uint8Array>, opts: { expectedDiffId?: Digest }): Promise<{ diffId: Digest; chainId: Digest; size: number; streamSize: number }>;
  has(chainId: Digest): boolean;
  /**
   * The uncompressed layer tar of a committed snapshot, rebuilt exactly (sha256 = diffID, checked
   * at the end: ERR_LAYER_SPLIT_CORRUPT when the snapshot's files changed). The caller holds the
   * layer against GC while it reads.
   */
  layerTar(chainId: Digest): AsyncIterable<Uint8Array>;
  /** Remove a committed layer snapshot (its children first: see list()). */
  remove(chainId: Digest): Promise<void>;
  /** ChainIDs of every committed layer snapshot, children before their parents. */
  list(): Digest[];
}

export interface ImportOptions {
  /** `repo[:tag]` to tag the new image with. */
  reference?: string;
  /** Commit message stored as the config's and history's comment (default "Imported from -"). */
  message?: string;
  /** Dockerfile instructions applied to the config (`CMD ["sh"]`, `ENV A=1`, ...). */
  changes?: string[];
  platform?: { os: string; architecture: string; variant?: string };
}

export interface PruneResult {
  ImagesDeleted: DeleteRecord[] | null;
  SpaceReclaimed: number;
}
