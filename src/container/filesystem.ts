/**
 * What berth does with a container's filesystem: `docker diff` (the writable layer's changes),
 * `docker export` (the merged rootfs as a tar) and `docker commit` (the writable layer as a new
 * image layer on top of the container's image).
 */
import type { Readable } from 'node:stream';
import { changes, diffLayer, tarDirectory } from '../archive/diff.js';
import type { Change } from '../archive/contract.js';
import type { Digest } from '../core/digest.js';
import { invalid } from '../core/errors.js';
import { nowRfc3339Nano } from '../core/humanize.js';
import { applyChanges } from '../image/changes.js';
import { EMPTY_LAYER_DIFF_ID, MediaType, type ContainerConfig, type ImageConfig } from '../image/oci.js';
import { parseReference } from '../image/reference.js';
import type { ImageService } from '../image/service.js';
import type { Snapshotter } from '../snapshot/contract.js';
import { mountRootfs, rootfsDir, unmountRootfs } from './bundle.js';
import { mergeConfig } from './create.js';
import type { ContainerRecord } from './contract.js';
import { isActive, type ContainerService } from './service.js';

/** Paths berth itself adds to every container (mount points), hidden from `docker diff` like Docker's init layer. */
const MOUNT_POINTS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/sbin/docker-init', '/dev', '/proc', '/sys', '/dev/shm', '/dev/pts', '/dev/mqueue']);

export interface FilesystemDeps {
  containers: ContainerService;
  images: ImageService;
  snapshots: Snapshotter;
}

export async function containerChanges(deps: FilesystemDeps, rec: ContainerRecord): Promise<Change[]> {
  const all = await changes(deps.snapshots.diffSource(rec.id));
  // /etc or /sbin added or changed only because the runtime made mount points in them (dockerd
  // keeps those in an init layer below the container's, so its diff never shows them)
  const onlyMountPoints = (dir: string) => all.every((x) => !x.path.startsWith(`${dir}/`) || MOUNT_POINTS.has(x.path));
  return all.filter((c) => !MOUNT_POINTS.has(c.path) && !((c.kind === 'A' || c.kind === 'C') && (c.path === '/etc' || c.path === '/sbin') && onlyMountPoints(c.path)));
}

/** The merged rootfs as a tar stream; a stopped container's rootfs is mounted for the duration. */
export async function exportContainer(deps: FilesystemDeps, rec: ContainerRecord): Promise<Readable> {
  const dir = deps.containers.dir(rec.id);
  const mountedHere = !isActive(rec.state);
  if (mountedHere) await mountRootfs(deps.snapshots, rec.id, dir);
  const stream = tarDirectory(rootfsDir(dir));
  if (mountedHere) stream.once('close', () => unmountRootfs(dir));
  return stream;
}

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  pause: boolean;
  changes: string[];
  /** A config from the request body; the container's config when absent. */
  config?: ContainerConfig;
}

export async function commitContainer(deps: FilesystemDeps, rec: ContainerRecord, o: CommitOptions): Promise<Digest> {
  let reference;
  if (o.repo) {
    reference = parseReference(o.tag ? `${o.repo}:${o.tag}` : o.repo);
    if (reference.digest) throw invalid('ERR_REFERENCE_INVALID', 'refusing to create a tag with a digest reference');
  }
  const base = deps.images.get(rec.image);
  const baseConfig = await deps.images.config(rec.image);
  // the base layers as the base image's manifest describes them (their blobs may not exist)
  const baseManifest = await deps.images.manifest(base);
  const newContainerConfig = mergeConfig(applyChanges(o.config ?? rec.config, o.changes), rec.config);
  const runtime = await deps.containers.runtimeFor(rec);
  const paused = o.pause && rec.state.status === 'running';
  if (paused) await runtime.pause(rec.id);
  try {
    // The new layer is kept as a snapshot with its tar-split record, not as a blob: its digest
    // is its diffID and its tar is rebuilt from the snapshot when needed.
    const applied = await deps.snapshots.applyLayer(rec.imageChainId, diffLayer(deps.snapshots.diffSource(rec.id)));
    // the new layer is held by nothing until the image record names it
    const releaseLayer = deps.images.lease([applied.chainId]);
    // No change at all: like Docker, no layer, only a history entry marked empty.
    const empty = applied.diffId === EMPTY_LAYER_DIFF_ID;
    const created = nowRfc3339Nano();
    const config: ImageConfig = {
      architecture: baseConfig.architecture,
      os: baseConfig.os,
      ...(baseConfig.variant ? { variant: baseConfig.variant } : {}),
      config: newContainerConfig,
      container: rec.id,
      container_config: rec.config,
      created,
      ...(o.author ? { author: o.author } : {}),
      ...(o.comment ? { comment: o.comment } : {}),
      history: [
        ...(baseConfig.history ?? []),
        {
          created,
          ...(o.author ? { author: o.author } : {}),
          created_by: [rec.path, ...rec.args].join(' '),
          ...(o.comment ? { comment: o.comment } : {}),
          ...(empty ? { empty_layer: true } : {}),
        },
      ],
      rootfs: { type: 'layers', diff_ids: empty ? baseConfig.rootfs.diff_ids : [...baseConfig.rootfs.diff_ids, applied.diffId] },
    };
    const layers = [
      ...base.layers.map((l, i) => ({ ...l, mediaType: baseManifest.layers[i]?.mediaType ?? MediaType.OciLayer, blobSize: baseManifest.layers[i]?.size ?? 0 })),
      ...(empty ? [] : [{ digest: applied.diffId, diffId: applied.diffId, chainId: applied.chainId, size: applied.size, mediaType: MediaType.OciLayer, blobSize: applied.streamSize }]),
    ];
    let id: Digest;
    try {
      id = await deps.images.storeImage(config, layers, { ...(reference ? { reference } : {}), parent: rec.image, event: 'commit' });
    } finally {
      releaseLayer();
    }
    // the empty snapshot just applied is held by nothing (unless another image shares it)
    if (empty) await deps.images.dropLayerIfUnused(applied.chainId);
    return id;
  } finally {
    if (paused) await runtime.resume(rec.id).catch(() => undefined);
  }
}
