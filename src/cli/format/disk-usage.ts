/**
 * `berth system df` from `GET /system/df`: docker's summary (type, total, active, size,
 * reclaimable with its percentage) and, with -v, its four detailed tables.
 */
import type { ImageSummary } from '../../client/types.js';
import { humanDuration, humanSize } from '../../core/humanize.js';
import { familiarRepository, parseReference } from '../../image/reference.js';
import { containerRow, PS_TITLES, type ContainerSummary } from './containers.js';
import { renderRows } from './output.js';
import { Template } from './template.js';


interface VolumeSummary {
  Name: string;
  UsageData?: { RefCount: number; Size: number } | null;
}

interface BuildCacheRecord {
  ID: string;
  Type?: string;
  CacheType?: string;
  Size: number;
  CreatedAt?: string;
  LastUsedAt?: string | null;
  UsageCount: number;
  InUse: boolean;
  Shared: boolean;
}

export interface DiskUsage {
  LayersSize: number;
  Images: ImageSummary[] | null;
  Containers: ContainerSummary[] | null;
  Volumes: VolumeSummary[] | null;
  BuildCache: BuildCacheRecord[] | null;
  BuilderSize?: number;
}

const SUMMARY_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const SUMMARY_TITLES = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
const IMAGE_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const IMAGE_TITLES = { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' };
const CONTAINER_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const VOLUME_TABLE = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const VOLUME_TITLES = { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' };
const CACHE_TABLE = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';
const CACHE_TITLES = { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' };

const isActiveContainer = (state: string) => /running|paused|restarting/.test(state);

function withPercent(reclaimable: number, total: number): string {
  return total > 0 ? `${humanSize(reclaimable, 4)} (${Math.trunc((reclaimable * 100) / total)}%)` : humanSize(reclaimable, 4);
}

function summaryRows(df: DiskUsage): Array<Record<string, string>> {
  const images = df.Images ?? [];
  const containers = df.Containers ?? [];
  const volumes = df.Volumes ?? [];
  const cache = df.BuildCache ?? [];
  const usedByContainers = images.filter((i) => i.Containers !== 0 && i.Size !== -1 && i.SharedSize !== -1).reduce((n, i) => n + i.Size - i.SharedSize, 0);
  const containerTotal = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const containerReclaimable = containers.filter((c) => !isActiveContainer(c.State)).reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const sized = volumes.filter((v) => v.UsageData && v.UsageData.Size !== -1);
  const volumeTotal = sized.reduce((n, v) => n + (v.UsageData?.Size ?? 0), 0);
  const volumeReclaimable = sized.filter((v) => v.UsageData?.RefCount === 0).reduce((n, v) => n + (v.UsageData?.Size ?? 0), 0);
  const builderSize = df.BuilderSize ?? 0;
  const cacheInUse = cache.filter((c) => c.InUse && !c.Shared).reduce((n, c) => n + c.Size, 0);
  const row = (Type: string, TotalCount: number, Active: number, Size: string, Reclaimable: string) => ({ Active: String(Active), Reclaimable, Size, TotalCount: String(TotalCount), Type });
  return [
    row('Images', images.length, images.filter((i) => i.Containers > 0).length, humanSize(df.LayersSize, 4), withPercent(df.LayersSize - usedByContainers, df.LayersSize)),
    row('Containers', containers.length, containers.filter((c) => isActiveContainer(c.State)).length, humanSize(containerTotal, 4), withPercent(containerReclaimable, containerTotal)),
    row('Local Volumes', volumes.length, volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length, humanSize(volumeTotal, 4), withPercent(volumeReclaimable, volumeTotal)),
    row('Build Cache', cache.length, cache.filter((c) => c.InUse).length, humanSize(builderSize, 4), humanSize(builderSize - cacheInUse, 4)),
  ];
}

function since(iso: string | null | undefined, now: number): string {
  if (!iso) return '';
  return `${humanDuration(now - Date.parse(iso))} ago`;
}

function imageRow(i: ImageSummary, trunc: boolean, now: number): Record<string, string> {
  let repo = '<none>';
  let tag = '<none>';
  const dangling = i.RepoTags?.length === 1 && i.RepoTags[0] === '<none>:<none>' && i.RepoDigests?.length === 1 && i.RepoDigests[0] === '<none>@<none>';
  if (i.RepoTags?.length && !dangling) {
    try {
      const ref = parseReference(i.RepoTags[0]);
      if (ref.tag !== undefined) {
        repo = familiarRepository(ref);
        tag = ref.tag;
      }
    } catch {
      // docker skips an image whose first tag does not parse
    }
  }
  return {
    Containers: i.Containers === -1 ? 'N/A' : String(i.Containers),
    CreatedSince: `${humanDuration(now - i.Created * 1000)} ago`,
    ID: trunc ? i.Id.replace(/^sha256:/, '').slice(0, 12) : i.Id,
    Repository: repo,
    SharedSize: i.SharedSize === -1 ? 'N/A' : humanSize(i.SharedSize, 3),
    Size: humanSize(i.Size, 3),
    Tag: tag,
    UniqueSize: i.Size === -1 || i.SharedSize === -1 ? 'N/A' : humanSize(i.Size - i.SharedSize, 4),
  };
}

function verboseTables(df: DiskUsage, now: number): string {
  const images = (df.Images ?? []).map((i) => imageRow(i, true, now));
  const containers = (df.Containers ?? []).map((c) => containerRow({ ...c, SizeRootFs: 0 }, true, now));
  const volumes = (df.Volumes ?? []).map((v) => ({
    Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
    Name: v.Name,
    Size: v.UsageData ? humanSize(v.UsageData.Size, 4) : 'N/A',
  }));
  const cache = (df.BuildCache ?? []).map((c) => ({
    CacheType: c.CacheType ?? c.Type ?? '',
    CreatedSince: since(c.CreatedAt, now),
    ID: c.ID.slice(0, 12),
    LastUsedSince: since(c.LastUsedAt, now),
    Shared: String(c.Shared),
    Size: humanSize(c.Size, 3),
    UsageCount: String(c.UsageCount),
  }));
  return [
    'Images space usage:\n\n' + renderRows(images, 'table', IMAGE_TABLE, IMAGE_TITLES),
    '\nContainers space usage:\n\n' + renderRows(containers, 'table', CONTAINER_TABLE, PS_TITLES),
    '\nLocal Volumes space usage:\n\n' + renderRows(volumes, 'table', VOLUME_TABLE, VOLUME_TITLES),
    `\nBuild cache usage: ${humanSize(df.BuilderSize ?? 0, 4)}\n\n` + renderRows(cache, 'table', CACHE_TABLE, CACHE_TITLES),
  ].join('');
}

export function renderDiskUsage(df: DiskUsage, format: string, verbose: boolean, now = Date.now()): string {
  if (verbose && (format === '' || format === 'table')) return verboseTables(df, now);
  if (verbose) {
    const data = {
      Images: (df.Images ?? []).map((i) => imageRow(i, false, now)),
      Containers: (df.Containers ?? []).map((c) => containerRow({ ...c, SizeRootFs: 0 }, false, now)),
      Volumes: df.Volumes ?? [],
      BuildCache: df.BuildCache ?? [],
    };
    return new Template(format).render(data) + '\n';
  }
  return renderRows(summaryRows(df), format, SUMMARY_TABLE, SUMMARY_TITLES);
}
