/**
 * The archive contract: tar layers in and out.
 *
 * - `extractLayer` (extract.ts) unpacks an uncompressed OCI layer stream into a fresh directory
 *   in overlay form (whiteouts as 0/0 character devices, opaque directories as the
 *   `trusted.overlay.opaque` xattr), computing the diffID while it streams. It never writes
 *   outside that directory, whatever the archive says (rules in safe-extract.ts).
 * - `openDecompressed` (compression.ts) sniffs gzip/zstd/bzip2/xz/plain and yields tar bytes;
 *   `tap` (tap.ts) lets the same bytes go to the content store on the way.
 * - `readTarSplit` (tar-split.ts) rebuilds a layer's exact tar from its extracted tree and the
 *   tar-split record extractLayer wrote (`splitFile`).
 * - `diffLayer`/`changes` (diff.ts) turn an overlay upper directory into an OCI layer tar and
 *   into the `docker diff` list; `tarDirectory` tars a plain tree (export, test images).
 *
 * Errors (all BerthError, kind "invalid" unless noted):
 *   ERR_LAYER_CORRUPT            bad header checksum, bad numeric field, malformed pax record
 *   ERR_LAYER_TRUNCATED          the stream ends inside a header or inside an entry's data
 *   ERR_LAYER_PATH_ESCAPE        a name or hardlink target leaves the root (`..`)
 *   ERR_LAYER_BAD_NAME           NUL byte, not UTF-8, or a name that cannot be created
 *   ERR_LAYER_BAD_ENTRY          an entry that cannot stand where it is (a file as the root)
 *   ERR_LAYER_BAD_HARDLINK       hardlink to a directory, to nothing, or to a whiteout
 *   ERR_LAYER_BAD_WHITEOUT       `.wh.` name targeting `.`, `..` or nothing
 *   ERR_LAYER_NOT_A_DIRECTORY    a path goes through a file of the same layer
 *   ERR_LAYER_SYMLINK_LOOP       more than 40 symlinks while resolving a parent
 *   ERR_LAYER_UNSUPPORTED_ENTRY  sparse files, volume labels, other exotic types
 *   ERR_LAYER_LIMIT              entries, path depth, name length, total size, metadata size
 *   ERR_LAYER_DIFFID_MISMATCH    the stream's sha256 is not the expected diffID
 *   ERR_LAYER_DEST_EXISTS        the destination directory already exists (conflict)
 *   ERR_LAYER_WRITE              an unexpected filesystem error (internal)
 *   ERR_LAYER_SPLIT_CORRUPT      the tree no longer matches its tar-split record (internal)
 *   ERR_LAYER_SYNC               a flush to disk failed while the layer was written (internal)
 *   ERR_NO_SPACE                 the disk is full (unavailable)
 *   ERR_COMPRESSION_CORRUPT      the compressed stream is damaged
 *   ERR_COMPRESSION_UNSUPPORTED  a compression berth cannot read
 */
import type { Digest } from '../core/digest.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

export interface ExtractLimits {
  /** Most entries (of any type, whiteouts included). Default 1,000,000. */
  maxEntries: number;
  /** Most path components in a name. Default 256. */
  maxDepth: number;
  /** Longest name in bytes. Default 4096 (PATH_MAX). */
  maxNameLength: number;
  /** Most bytes of regular-file data in total. Default 128 GiB. */
  maxTotalSize: number;
  /** Largest pax or GNU long-name record. Default 1 MiB. */
  maxMetaSize: number;
}

export interface ExtractOptions {
  /** The diffID the stream must have; a mismatch fails the extraction and leaves nothing. */
  expectedDiffId?: Digest;
  limits?: Partial<ExtractLimits>;
  /**
   * Run the filesystem work in a worker thread (default true) so the caller's event loop stays
   * free; false runs it on the calling thread (small layers, tests).
   */
  worker?: boolean;
  /**
   * Make the extracted files durable before resolving: syncfs(2) on the destination's
   * filesystem, done by the thread that extracted (so not the caller's event loop).
   */
  sync?: boolean;
  /**
   * Also write the stream's tar-split record to this file (and, when the layer replaces files it
   * wrote itself, `<splitFile>.saved`): everything but the file contents, which stay referenced
   * in the extracted tree, so `readTarSplit` (tar-split.ts) can rebuild the exact stream later
   * without a second copy of the layer. Neither file may exist; both are removed on failure.
   * Put them beside the destination (same filesystem: `sync` covers them).
   */
  splitFile?: string;
}

export interface ExtractResult {
  /** sha256 of the uncompressed stream, every byte of it. */
  diffId: Digest;
  /** Bytes of the uncompressed stream. */
  streamSize: number;
  /** Bytes of regular-file data written (hardlinks counted once). */
  size: number;
  /** Entries in the archive (whiteouts included, pax/long-name records not). */
  entries: number;
  /** Extended attributes dropped because their namespace is not allowed. */
  skippedXattrs: number;
}

export type ChangeKind = 'A' | 'C' | 'D';

/** One line of `docker diff`: Kind 0 = C(modified), 1 = A(added), 2 = D(deleted) in the API. */
export interface Change {
  kind: ChangeKind;
  /** Absolute path inside the container, e.g. `/etc/passwd`. */
  path: string;
}

export interface DiffSource {
  /** The writable overlay upper directory. */
  upper: string;
  /** The lower directories, topmost first (as in overlay's lowerdir option). */
  lowers: string[];
}
