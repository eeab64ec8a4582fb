/** Docker Engine API JSON shapes of images (GET /images/json, /images/{name}/json, /history). */
import type { ImageDetails, ImageRecord } from '../../image/contract.js';
import type { ContainerConfig } from '../../image/oci.js';
import { familiarReference } from '../../image/reference.js';

const ZERO_CONFIG: Required<Pick<ContainerConfig, 'Hostname' | 'Domainname' | 'User' | 'AttachStdin' | 'AttachStdout' | 'AttachStderr' | 'Tty' | 'OpenStdin' | 'StdinOnce' | 'Env' | 'Cmd' | 'Image' | 'Volumes' | 'WorkingDir' | 'Entrypoint' | 'OnBuild' | 'Labels'>> = {
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: null,
  Image: '',
  Volumes: null,
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: null,
};

/** A container config with every field Docker always prints filled in. */
export function fullContainerConfig(c: ContainerConfig | undefined): ContainerConfig {
  return { ...ZERO_CONFIG, ...(c ?? {}) };
}

export function repoTags(d: ImageDetails): string[] {
  return d.tags.map(familiarReference);
}

export function repoDigests(d: ImageDetails): string[] {
  return d.digests.map(familiarReference);
}

function unixSeconds(rfc3339: string | undefined): number {
  if (!rfc3339) return 0;
  const t = Date.parse(rfc3339);
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

export function imageSize(rec: ImageRecord): number {
  return rec.layers.reduce((n, l) => n + l.size, 0);
}

export function imageSummary(d: ImageDetails): Record<string, unknown> {
  const tags = repoTags(d);
  const digests = repoDigests(d);
  const dangling = tags.length === 0 && digests.length === 0;
  const size = imageSize(d.record);
  return {
    Containers: -1,
    Created: unixSeconds(d.config.created),
    Id: d.record.id,
    Labels: d.config.config?.Labels ?? null,
    ParentId: d.record.parent ?? '',
    RepoDigests: dangling ? ['<none>@<none>'] : digests.length ? digests : null,
    RepoTags: dangling ? ['<none>:<none>'] : tags.length ? tags : null,
    SharedSize: -1,
    Size: size,
    VirtualSize: size,
  };
}

export function imageInspect(d: ImageDetails, graphDriver: { name: string; data: Record<string, string> }): Record<string, unknown> {
  const size = imageSize(d.record);
  const c = d.config;
  return {
    Id: d.record.id,
    RepoTags: repoTags(d),
    RepoDigests: repoDigests(d),
    Parent: d.record.parent ?? '',
    Comment: c.comment ?? '',
    Created: c.created ?? '',
    Container: c.container ?? '',
    ContainerConfig: fullContainerConfig(c.container_config),
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: fullContainerConfig(c.config),
    Architecture: c.architecture,
    ...(c.variant ? { Variant: c.variant } : {}),
    Os: c.os,
    ...(c['os.version'] ? { OsVersion: c['os.version'] } : {}),
    Size: size,
    VirtualSize: size,
    GraphDriver: { Data: graphDriver.data, Name: graphDriver.name },
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: d.record.lastTagTime ?? '0001-01-01T00:00:00Z' },
  };
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/**
 * GET /images/{name}/history: newest first; layer sizes on non-empty entries; IDs and tags for
 * as many entries as the local parent chain (`chain[0]` the image, then its parents) covers, `<missing>` beyond.
 */
export function imageHistory(chain: ImageDetails[]): HistoryItem[] {
  const d = chain[0];
  const items: HistoryItem[] = [];
  let layer = 0;
  for (const h of d.config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      size = d.record.layers[layer]?.size ?? 0;
      layer++;
    }
    items.unshift({ Id: '<missing>', Created: unixSeconds(h.created), CreatedBy: h.created_by ?? '', Tags: null, Size: size, Comment: h.comment ?? '' });
  }
  items.slice(0, chain.length).forEach((item, i) => {
    item.Id = chain[i].record.id;
    const tags = repoTags(chain[i]);
    item.Tags = tags.length ? tags : null;
  });
  return items;
}
