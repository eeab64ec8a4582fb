/**
 * The content store contract: immutable blobs addressed by their digest. A blob is visible under
 * its digest only once it is complete, verified and durable. Writers stream into an ingest file
 * while hashing and commit by expected digest (containerd's model); concurrent writers of the same
 * digest are safe (pnpm's model): the first complete one wins, the others find it there.
 */
import type { Readable } from 'node:stream';
import type { Digest, DigestAlgorithm } from '../core/digest.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface WriterOptions {
  /** The digest the content must have; commit fails with ERR_DIGEST_MISMATCH otherwise. */
  expected?: Digest;
  /** The size the content must have; commit fails with ERR_SIZE_MISMATCH otherwise. */
  expectedSize?: number;
  /** Hash algorithm when no expected digest is given (default sha256). */
  algorithm?: DigestAlgorithm;
}

/** An in-progress blob. Exactly one of commit() or abort() must be called. */
export interface BlobWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly size: number;
  /** Verify, fsync and move into place; returns the committed blob. */
  commit(): Promise<BlobInfo>;
  /** Discard everything written. */
  abort(): Promise<void>;
}

export interface ContentStore {
  /** Size of a blob, or undefined when the store does not have it. */
  info(digest: Digest): Promise<BlobInfo | undefined>;
  has(digest: Digest): Promise<boolean>;
  /** Whole blob in memory; for manifests and configs, not layers. Throws not-found. */
  read(digest: Digest): Promise<Buffer>;
  /** Stream a blob, optionally a byte range of it. Throws not-found. */
  stream(digest: Digest, range?: ByteRange): Promise<Readable>;
  /** Path of the committed blob file (read-only use: hand to tools, open for reading). */
  path(digest: Digest): string;
  writer(opts?: WriterOptions): Promise<BlobWriter>;
  /** Write a whole buffer; verified against `expected` when given. */
  put(data: Uint8Array, expected?: Digest): Promise<BlobInfo>;
  /** Stream into the store; verified against opts.expected when given. */
  ingest(source: AsyncIterable<Uint8Array>, opts?: WriterOptions): Promise<BlobInfo>;
  delete(digest: Digest): Promise<boolean>;
  list(): AsyncIterable<BlobInfo>;
}
