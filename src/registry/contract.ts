/**
 * berth registry: an OCI Distribution v1.1 server. This file holds the types other domains (the
 * CLI, the lead's `berth registry` mount, tests) use; the implementation lives beside it.
 */
import type { Digest } from '../core/digest.js';

/** How clients prove who they are. */
export type AuthConfig =
  | { kind: 'none' }
  /** An htpasswd file of bcrypt entries; every valid user may do everything. */
  | { kind: 'htpasswd'; file: string; realm: string }
  /** Docker token auth: JWTs signed by a token server whose keys/certificates are trusted. */
  | { kind: 'token'; realm: string; service: string; issuer: string; keyFiles: string[] };

export interface RegistryConfig {
  /** `host:port` to listen on; port 0 picks a free port. */
  addr: string;
  /** Storage root (blobs, repositories, uploads). */
  root: string;
  tls?: { cert: string; key: string };
  auth: AuthConfig;
  /** Refuse pushes and deletes. */
  readOnly: boolean;
  /** Allow DELETE of manifests, tags and blobs. */
  deleteEnabled: boolean;
  gc: GcSchedule;
  /** Access log destination: `-` (stdout), `off`, or a file appended to. */
  accessLog: string;
  /** How long a graceful shutdown waits for running transfers. */
  shutdownTimeoutMs: number;
  /** Largest manifest accepted (413 above). */
  maxManifestBytes: number;
}

export interface GcSchedule {
  /** Run GC every intervalMs while serving; 0 disables the schedule. */
  intervalMs: number;
  /** Unreferenced blobs younger than this are kept (an in-flight push may still need them). */
  graceMs: number;
  /** Upload sessions idle for longer than this are abandoned and removed. */
  uploadGraceMs: number;
}

export interface GcOptions {
  graceMs: number;
  uploadGraceMs: number;
  dryRun: boolean;
}

export interface GcReport {
  /** False when another process held the GC lock, so nothing was done. */
  ran: boolean;
  repositories: number;
  manifests: number;
  markedBlobs: number;
  /** Blobs removed (or that would be, with dryRun). */
  removedBlobs: Digest[];
  freedBytes: number;
  /** Repository blob links removed because nothing in the repository uses them any more. */
  removedLinks: number;
  /** Abandoned upload sessions removed. */
  removedUploads: number;
  durationMs: number;
}

/** One resource scope as Docker's token auth names it: `repository:test/img:pull,push`. */
export interface AccessScope {
  type: 'repository' | 'registry';
  name: string;
  actions: string[];
}

/** Who made a request, once authenticated. */
export interface Principal {
  /** Empty for anonymous access (auth none, or an anonymous token). */
  user: string;
}

/** A running registry server. */
export interface RegistryServer {
  /** `http://127.0.0.1:PORT` or `https://...` */
  readonly url: string;
  readonly port: number;
  /** Graceful shutdown: stop accepting, let running transfers finish (bounded), close. */
  close(): Promise<void>;
}

/** A running token server. */
export interface TokenServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}
