/**
 * The snapshotter contract (containerd's model, overlay only).
 *
 * - A *committed* snapshot is one extracted layer, read-only, named by its ChainID
 *   (chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln))), so a
 *   layer is extracted once and shared by every image and container whose stack contains it.
 * - An *active* snapshot is a container's writable layer, named by a caller-chosen key, on top
 *   of a committed parent. The snapshotter never mounts by itself: it returns mount
 *   descriptions and the caller mounts them where it wants (mount.ts helps).
 *
 * Reference counting is the image service's: the snapshotter refuses to remove a snapshot that
 * has children (committed or active), but it does not know which images use which chain. The
 * image service must remove a committed snapshot only when no image's chain contains it any
 * more (walk each image's diffIDs through chainIds()), topmost first.
 *
 * On-disk layout under `<data-root>/snapshots/`:
 *
 *   <n>/                  one directory per snapshot, n a small decimal number that never
 *                         changes (short ids keep overlay's lowerdir option short)
 *   <n>/fs/               the files: an extracted layer (committed) or the upper dir (active)
 *   <n>/work/             overlay's workdir (active snapshots only)
 *   <n>/layer.split       the layer tar's tar-split record (committed snapshots): every byte of
 *                         the tar but the file contents, which it references in fs/, so the
 *                         exact layer tar (its diffID) can be rebuilt without a stored copy
 *   <n>/layer.split.saved contents of files the layer itself replaced (rare; see tar-split.ts)
 *   <n>/info.json         the record (SnapshotRecord), written atomically last: a directory
 *                         without it is an unfinished or half-removed snapshot, and open()
 *                         deletes it
 *   .tmp-*                atomic-write leftovers, deleted by open()
 */
import type { Readable } from 'node:stream';
import type { DiffSource, ExtractLimits } from '../archive/contract.js';
import type { Digest } from '../core/digest.js';

/** One mount, as mount(2) takes it (containerd's mount.Mount). */
export interface Mount {
  /** Filesystem type: 'overlay' or 'bind'. */
  type: string;
  source: string;
  options: string[];
}

export interface CommittedSnapshot {
  kind: 'committed';
  chainId: Digest;
  parent?: Digest;
  diffId: Digest;
  /** Bytes of file data in the layer (as extracted). */
  size: number;
  /** Bytes of the layer tar (uncompressed). Absent in records written before tar-split. */
  streamSize?: number;
  /** File name of the tar-split record in the snapshot directory; absent in older records. */
  split?: string;
  /** The snapshot directory number (`snapshots/<id>`). */
  id: number;
  /** RFC 3339. */
  created: string;
}

export interface ActiveSnapshot {
  kind: 'active';
  key: string;
  parent?: Digest;
  id: number;
  created: string;
}

export type SnapshotRecord = CommittedSnapshot | ActiveSnapshot;

export interface ApplyOptions {
  /** The diffID the layer must have; a mismatch fails and leaves nothing. */
  expectedDiffId?: Digest;
  limits?: Partial<ExtractLimits>;
  /** Extract in a worker thread (default true); false for tiny layers where startup dominates. */
  worker?: boolean;
}

export interface ApplyResult {
  chainId: Digest;
  diffId: Digest;
  /** Bytes of file data in the layer. */
  size: number;
  /** Bytes of the uncompressed layer stream (the size of the layer tar). */
  streamSize: number;
  /** False when the snapshot already existed (this stream was verified and dropped). */
  created: boolean;
}

export interface Usage {
  /** Apparent size of everything but directories, hardlinks counted once (Docker's SizeRw). */
  size: number;
  inodes: number;
}

export interface Snapshotter {
  /** `<data-root>/snapshots`. */
  readonly root: string;
  /**
   * Extract an uncompressed layer on top of `parent` (undefined for a base layer) and commit it
   * under its ChainID; when that snapshot exists already the stream is only hashed and checked.
   * Errors: ERR_SNAPSHOT_NOT_FOUND (parent), the ERR_LAYER_* of extraction.
   */
  applyLayer(parent: Digest | undefined, tar: AsyncIterable<Uint8Array> | Readable, opts?: ApplyOptions): Promise<ApplyResult>;
  /** A committed snapshot by ChainID, or undefined. */
  stat(chainId: Digest): CommittedSnapshot | undefined;
  /**
   * The layer tar of a committed snapshot, rebuilt byte for byte from its files and its tar-split
   * record; its sha256 is checked against the diffID at the end. Errors: ERR_SNAPSHOT_NOT_FOUND,
   * ERR_LAYER_SPLIT_MISSING (a snapshot recorded before tar-split), ERR_LAYER_SPLIT_CORRUPT (the
   * snapshot's files changed since the layer was unpacked: raised before a file's bytes when its
   * size or type changed, at the end of the stream when only content did).
   */
  layerTar(chainId: Digest): AsyncIterable<Uint8Array>;
  /**
   * Create a writable snapshot `key` over `parent` and return how to mount it. Errors:
   * ERR_SNAPSHOT_EXISTS (key taken), ERR_SNAPSHOT_NOT_FOUND (parent), ERR_SNAPSHOT_KEY_INVALID.
   */
  prepare(key: string, parent: Digest | undefined): Promise<Mount[]>;
  /** The mounts of active snapshot `key` (ERR_SNAPSHOT_NOT_FOUND). */
  mounts(key: string): Mount[];
  /** Upper and lower directories of active snapshot `key`, for the layer differ. */
  diffSource(key: string): DiffSource;
  /**
   * Remove an active snapshot (by key) or a committed one (by ChainID). A committed snapshot
   * with children is refused (ERR_SNAPSHOT_IN_USE). The caller unmounts first.
   */
  remove(keyOrChainId: string): Promise<void>;
  /** Disk usage of a snapshot's own directory (active key or ChainID). */
  usage(keyOrChainId: string): Promise<Usage>;
  list(): SnapshotRecord[];
}
