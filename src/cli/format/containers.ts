/**
 * `berth ps` rows as docker's ContainerContext renders them: truncated IDs and images, quoted
 * and ellipsized commands, "N ago" computed here, the daemon's Status verbatim, grouped ports.
 */
import { humanDuration, humanSize } from '../../core/humanize.js';
import { familiarReference, parseReference } from '../../image/reference.js';
import { goStrconvQuote, goTimeString, joinHostPort } from './go-text.js';
import { ellipsis } from './table.js';

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[] | null;
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: PortSummary[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts?: Array<{ Name?: string; Source?: string; Driver?: string }> | null;
}

export const PS_TITLES: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

export function truncateId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function portOrder(a: PortSummary, b: PortSummary): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  if ((a.IP ?? '') !== (b.IP ?? '')) return (a.IP ?? '') < (b.IP ?? '') ? -1 : 1;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

function formGroup(key: string, start: number, last: number): string {
  const slash = key.lastIndexOf('/');
  const ip = slash >= 0 ? key.slice(0, slash) : '';
  const type = slash >= 0 ? key.slice(slash + 1) : key;
  let group = String(start);
  if (start !== last) group = `${group}-${last}`;
  if (ip) group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${type}`;
}

/** docker's DisplayablePorts: "0.0.0.0:80->80/tcp, 443-445/tcp". */
export function displayablePorts(ports: PortSummary[]): string {
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const port of [...ports].sort(portOrder)) {
    const current = port.PrivatePort;
    let key = port.Type;
    if (port.IP) {
      if ((port.PublicPort ?? 0) !== current) {
        hostMappings.push(`${joinHostPort(port.IP, port.PublicPort ?? 0)}->${port.PrivatePort}/${port.Type}`);
        continue;
      }
      key = `${port.IP}/${port.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

const familiarCache = new Map<string, string>();

/** The familiar form of an image name, parsed once per distinct name (lists repeat them). */
function familiarImage(image: string): string {
  let f = familiarCache.get(image);
  if (f === undefined) {
    try {
      const ref = parseReference(image);
      f = familiarReference({ domain: ref.domain, path: ref.path, ...(ref.tag !== undefined ? { tag: ref.tag } : {}) });
    } catch {
      f = image;
    }
    familiarCache.set(image, f);
  }
  return f;
}

function imageColumn(c: ContainerSummary, trunc: boolean): string {
  if (c.Image === '') return '<no image>';
  if (!trunc) return c.Image;
  if (truncateId(c.ImageID) === truncateId(c.Image)) return truncateId(c.Image);
  return familiarImage(c.Image);
}

function namesColumn(c: ContainerSummary, trunc: boolean): string {
  let names = (c.Names ?? []).map((n) => n.slice(1));
  if (trunc) {
    const plain = names.find((n) => !n.includes('/'));
    if (plain !== undefined) names = [plain];
  }
  return names.join(',');
}

/**
 * One row with the field names docker's templates use. Fields are getters on the prototype, so a
 * row costs one small object and `ps` of thousands of containers computes only the columns it
 * prints; toJSON gives docker's JSON (fields in alphabetical order).
 */
class ContainerRow {
  constructor(
    private readonly c: ContainerSummary,
    private readonly trunc: boolean,
    private readonly now: number,
  ) {}
  get Command(): string {
    return goStrconvQuote(this.trunc ? ellipsis(this.c.Command, 20) : this.c.Command);
  }
  get CreatedAt(): string {
    return goTimeString(this.c.Created);
  }
  get ID(): string {
    return this.trunc ? truncateId(this.c.Id) : this.c.Id;
  }
  get Image(): string {
    return imageColumn(this.c, this.trunc);
  }
  get Labels(): string {
    return Object.entries(this.c.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  get LocalVolumes(): string {
    return String((this.c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }
  get Mounts(): string {
    return (this.c.Mounts ?? [])
      .map((m) => {
        const name = m.Name || m.Source || '';
        return this.trunc ? ellipsis(name, 15) : name;
      })
      .join(',');
  }
  get Names(): string {
    return namesColumn(this.c, this.trunc);
  }
  get Networks(): string {
    return this.c.NetworkSettings ? Object.keys(this.c.NetworkSettings.Networks ?? {}).join(',') : '';
  }
  get Platform(): null {
    return null;
  }
  get Ports(): string {
    return displayablePorts(this.c.Ports ?? []);
  }
  get RunningFor(): string {
    return `${humanDuration(this.now - this.c.Created * 1000)} ago`;
  }
  get Size(): string {
    const c = this.c;
    return (c.SizeRootFs ?? 0) > 0 ? `${humanSize(c.SizeRw ?? 0, 3)} (virtual ${humanSize(c.SizeRootFs ?? 0, 3)})` : humanSize(c.SizeRw ?? 0, 3);
  }
  get State(): string {
    return this.c.State;
  }
  get Status(): string {
    return this.c.Status;
  }
  /** For `{{.Label "name"}}` (see ../format/output.ts); not part of the JSON output. */
  get LabelMap(): Record<string, string> {
    return { ...(this.c.Labels ?? {}) };
  }
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of ROW_FIELDS) out[key] = this[key];
    return out;
  }
}

const ROW_FIELDS = ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Platform', 'Ports', 'RunningFor', 'Size', 'State', 'Status'] as const;

export function containerRow(c: ContainerSummary, trunc: boolean, now = Date.now()): Record<string, unknown> {
  return new ContainerRow(c, trunc, now) as unknown as Record<string, unknown>;
}

/** docker's "raw" format for ps. */
export function rawContainer(row: Record<string, unknown>, size: boolean): string {
  const pad = (v: unknown) => (v === '' ? '' : ` ${String(v)}`);
  let out = `container_id: ${row.ID}\nimage: ${row.Image}\ncommand: ${row.Command}\ncreated_at: ${row.CreatedAt}\nstate:${pad(row.State)}\nstatus:${pad(row.Status)}\nnames: ${row.Names}\nlabels:${pad(row.Labels)}\nports:${pad(row.Ports)}\n`;
  if (size) out += `size: ${row.Size}\n`;
  return out + '\n';
}
