/**
 * Image commands: images / image ls, inspect, history, tag, rmi, import, image prune. Declared
 * the docker CLI's way (usage lines, argument counts, pflag flags) so that bad flags and
 * arguments fail as docker's do.
 */
import type { ImageSummary } from '../../client/types.js';
import * as fs from 'node:fs';
import type { Command } from 'commander';
import type { Readable } from 'node:stream';
import type { HistoryItem } from '../../api/views/image.js';
import { humanDuration, humanSize } from '../../core/humanize.js';
import { readJsonMessages } from '../../client/engine.js';
import { parseReference } from '../../image/reference.js';
import { engine, ExitError, write } from '../context.js';
import { group, mount, type CommandSpec } from '../flags/command.js';
import { boolFlag, listFlag, stringFlag } from '../flags/spec.js';
import { filterFlag, filtersJson, type Filters } from '../opts/filters.js';
import { renderList } from '../format/list.js';
import { goMapOrder, goTimeString } from '../format/go-text.js';
import { renderRows } from '../format/output.js';
import { ellipsis } from '../format/table.js';
import { Template } from '../format/template.js';
import { FORMAT_USAGE } from './containers-list.js';
import { runInspect } from './inspect.js';
import { confirm } from './shared.js';

function shortImageId(id: string, noTrunc: boolean): string {
  return noTrunc ? id : id.replace(/^sha256:/, '').slice(0, 12);
}

function since(unixSeconds: number): string {
  return `${humanDuration(Date.now() - unixSeconds * 1000)} ago`;
}

/** Go's time.Unix(s, 0).Format(time.RFC3339) in the local zone. */
function rfc3339(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${p(Math.trunc(Math.abs(offset) / 60))}:${p(Math.abs(offset) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone}`;
}

/** The formatter's template errors, which docker reports as "template parsing error: ...". */
function checkListTemplate(format: string): void {
  if (format === '' || format.trim() === 'json' || format === 'table' || format === 'raw') return;
  try {
    new Template(format);
  } catch (e) {
    throw new ExitError(1, `template parsing error: ${(e as Error).message}`);
  }
}

/** One row per (repository, tag) as the docker CLI builds them, with its field names. */
function imageRows(images: ImageSummary[], noTrunc: boolean): object[] {
  const rows: Array<Record<string, string>> = [];
  for (const img of images) {
    const digests = (img.RepoDigests ?? []).filter((d) => d !== '<none>@<none>');
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const base = {
      Containers: img.Containers < 0 ? 'N/A' : String(img.Containers),
      CreatedAt: goTimeString(img.Created),
      CreatedSince: since(img.Created),
      ID: shortImageId(img.Id, noTrunc),
      SharedSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.SharedSize, 3),
      Size: humanSize(img.Size, 3),
      UniqueSize: 'N/A',
      VirtualSize: humanSize(img.Size, 4), // units.HumanSize: one digit more than Size
    };
    const digestFor = (repo: string) => digests.find((d) => d.startsWith(`${repo}@`))?.split('@')[1] ?? '<none>';
    if (tags.length === 0) {
      if (digests.length === 0) rows.push({ ...base, Repository: '<none>', Tag: '<none>', Digest: '<none>' });
      for (const d of digests) {
        const [repo, digest] = d.split('@');
        rows.push({ ...base, Repository: repo, Tag: '<none>', Digest: digest });
      }
      continue;
    }
    for (const t of tags) {
      const i = t.lastIndexOf(':');
      const repo = t.slice(0, i);
      rows.push({ ...base, Repository: repo, Tag: t.slice(i + 1), Digest: digestFor(repo) });
    }
  }
  return rows.map(goMapOrder);
}

const IMAGE_TITLES = { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE', Digest: 'DIGEST', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', VirtualSize: 'SIZE' };

/**
 * docker's NewImageFormat: -q and --digests change only the "table" and "raw" formats; a custom
 * template or json is used as given.
 */
function imageFormat(format: string, quiet: boolean, digests: boolean): string {
  const digest = digests ? '{{.Digest}}\t' : '';
  if (format === '' || format === 'table') return quiet ? '{{.ID}}' : `table {{.Repository}}\t{{.Tag}}\t${digest}{{.ID}}\t{{.CreatedSince}}\t{{.Size}}`;
  if (format === 'raw') {
    if (quiet) return 'image_id: {{.ID}}';
    return `repository: {{.Repository}}\ntag: {{.Tag}}\n${digests ? 'digest: {{.Digest}}\n' : ''}image_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n`;
  }
  return format;
}

const imagesCommand: CommandSpec = {
  name: 'images',
  use: '[OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  flags: [
    boolFlag('all', 'a', 'Show all images (default hides intermediate images)'),
    boolFlag('digests', undefined, 'Show digests'),
    filterFlag('filter', 'f', 'Filter output based on conditions provided'),
    stringFlag('format', undefined, FORMAT_USAGE),
    boolFlag('no-trunc', undefined, "Don't truncate output"),
    boolFlag('quiet', 'q', 'Only show image IDs'),
  ],
  args: { max: 1 },
  run: async ({ flags, args }) => {
    const format = imageFormat(flags.str('format'), flags.bool('quiet'), flags.bool('digests'));
    const filters = { ...flags.get<Filters>('filter') };
    if (args[0]) filters.reference = [...(filters.reference ?? []), args[0]];
    const images = await engine().json<ImageSummary[]>('GET', '/images/json', {
      query: { all: flags.bool('all') ? '1' : undefined, filters: filtersJson(filters) },
    });
    checkListTemplate(format);
    write(renderRows(imageRows(images, flags.bool('no-trunc')), format, format, IMAGE_TITLES));
  },
};

const inspectImageCommand: CommandSpec = {
  name: 'inspect',
  use: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Display detailed information on one or more images',
  flags: [
    stringFlag(
      'format',
      'f',
      "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
    ),
  ],
  args: { min: 1 },
  run: async ({ flags, args }) => runInspect(args, 'image', flags.str('format'), false),
};

const HISTORY_TITLES = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };

const historyCommand: CommandSpec = {
  name: 'history',
  use: '[OPTIONS] IMAGE',
  description: 'Show the history of an image',
  flags: [
    stringFlag('format', undefined, FORMAT_USAGE),
    boolFlag('human', 'H', 'Print sizes and dates in human readable format', true),
    boolFlag('no-trunc', undefined, "Don't truncate output"),
    boolFlag('quiet', 'q', 'Only show image IDs'),
  ],
  args: { exact: 1 },
  run: async ({ flags, args }) => {
    const human = flags.bool('human');
    const noTrunc = flags.bool('no-trunc');
    let format = flags.str('format');
    // docker's NewHistoryFormat: -q and -H=false change only the table format.
    if (format === '' || format === 'table') {
      if (flags.bool('quiet')) format = '{{.ID}}';
      else format = `table {{.ID}}\t${human ? '{{.CreatedSince}}' : '{{.CreatedAt}}'}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}`;
    }
    const items = await engine().json<HistoryItem[]>('GET', `/images/${args[0]}/history`);
    checkListTemplate(format);
    const rows = items.map((h) => {
      const createdBy = h.CreatedBy.replace(/\t/g, ' ');
      return goMapOrder({
        ID: h.Id === '<missing>' ? h.Id : shortImageId(h.Id, noTrunc),
        CreatedSince: human ? since(h.Created) : rfc3339(h.Created),
        CreatedAt: rfc3339(h.Created),
        CreatedBy: noTrunc ? createdBy : ellipsis(createdBy, 45),
        Size: human ? humanSize(h.Size, 3) : String(h.Size),
        Comment: h.Comment,
      });
    });
    try {
      write(renderList(rows, { defaultTable: format, titles: HISTORY_TITLES }, format));
    } catch (e) {
      throw new ExitError(1, `template parsing error: ${(e as Error).message}`);
    }
  },
};

/** The client's reference checks before a tag request (ParseAnyReference, ParseNormalizedNamed). */
function tagTarget(source: string, target: string): { repo: string; tag: string } {
  const wrap = (name: string, e: unknown) => new ExitError(1, `Error parsing reference: ${JSON.stringify(name)} is not a valid repository/tag: ${(e as Error).message}`);
  if (!/^(sha256:)?[a-f0-9]{64}$/.test(source)) {
    try {
      parseReference(source);
    } catch (e) {
      throw wrap(source, e);
    }
  }
  let ref;
  try {
    ref = parseReference(target);
  } catch (e) {
    throw wrap(target, e);
  }
  if (ref.digest !== undefined) throw new ExitError(1, 'refusing to create a tag with a digest reference');
  return { repo: `${ref.domain}/${ref.path}`, tag: ref.tag ?? 'latest' };
}

const tagCommand: CommandSpec = {
  name: 'tag',
  use: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  flags: [],
  args: { exact: 2 },
  run: async ({ args: [source, target] }) => {
    const { repo, tag } = tagTarget(source, target);
    await engine().call('POST', `/images/${source}/tag`, { query: { repo, tag } });
  },
};

const rmiCommand: CommandSpec = {
  name: 'rmi',
  use: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  flags: [boolFlag('force', 'f', 'Force removal of the image'), boolFlag('no-prune', undefined, 'Do not delete untagged parents')],
  args: { min: 1 },
  run: async ({ flags, args }) => {
    const errors: string[] = [];
    for (const name of args) {
      try {
        const records = await engine().json<Array<{ Untagged?: string; Deleted?: string }>>('DELETE', `/images/${name}`, {
          query: { force: flags.bool('force') ? '1' : undefined, noprune: flags.bool('no-prune') ? '1' : undefined },
        });
        for (const r of records) write(r.Untagged ? `Untagged: ${r.Untagged}\n` : `Deleted: ${r.Deleted}\n`);
      } catch (e) {
        const { errorText } = await import('../run/errors.js');
        errors.push(errorText(e));
      }
    }
    if (errors.length) throw new ExitError(1, errors.join('\n'));
  },
};

/** docker import: `-` is stdin, an http(s) URL is the daemon's to fetch, anything else a file. */
async function importSource(file: string): Promise<{ fromSrc: string; stream?: Readable }> {
  if (file === '-') return { fromSrc: '-', stream: process.stdin };
  if (/^https?:\/\//.test(file)) return { fromSrc: file };
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ExitError(1, `open ${file}: ${reason}`);
  }
  return { fromSrc: '-', stream: handle.createReadStream({ highWaterMark: 1 << 20 }) };
}

const importCommand: CommandSpec = {
  name: 'import',
  use: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  description: 'Import the contents from a tarball to create a filesystem image',
  flags: [
    listFlag('change', 'c', 'Apply Dockerfile instruction to the created image'),
    stringFlag('message', 'm', 'Set commit message for imported image'),
    stringFlag('platform', undefined, 'Set platform if server is multi-platform capable'),
  ],
  args: { min: 1 },
  run: async ({ flags, args: [file, reference] }) => {
    const source = await importSource(file);
    let repo: string | undefined;
    let tag: string | undefined;
    if (reference) {
      try {
        parseReference(reference);
      } catch (e) {
        source.stream?.destroy();
        throw new ExitError(1, (e as Error).message);
      }
      const slash = reference.lastIndexOf('/');
      const colon = reference.lastIndexOf(':');
      [repo, tag] = colon > slash ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, undefined];
    }
    const res = await engine().stream('POST', '/images/create', {
      query: { fromSrc: source.fromSrc, repo, tag, message: flags.str('message') || undefined, changes: flags.list('change'), platform: flags.str('platform') || undefined },
      ...(source.stream ? { stream: source.stream, contentType: 'application/x-tar' } : {}),
    });
    let error: string | undefined;
    await readJsonMessages(res, (m) => {
      const detail = m.errorDetail as { message?: string } | undefined;
      if (detail) error = detail.message ?? String(m.error);
      else if (typeof m.status === 'string') write(`${m.status}\n`);
    });
    if (error) throw new ExitError(1, error);
  },
};

const pruneCommand: CommandSpec = {
  name: 'prune',
  use: '[OPTIONS]',
  description: 'Remove unused images',
  flags: [
    boolFlag('all', 'a', 'Remove all unused images, not just dangling ones'),
    filterFlag('filter', undefined, 'Provide filter values (e.g. "until=<timestamp>")'),
    boolFlag('force', 'f', 'Do not prompt for confirmation'),
  ],
  args: { none: true },
  run: async ({ flags }) => {
    const all = flags.bool('all');
    const warning = all
      ? 'WARNING! This will remove all images without at least one container associated to them.'
      : 'WARNING! This will remove all dangling images.';
    if (!flags.bool('force') && !(await confirm(`${warning}\nAre you sure you want to continue? [y/N] `))) return;
    // As docker: the dangling filter is always sent, true unless --all.
    const filters: Filters = { ...flags.get<Filters>('filter'), dangling: [String(!all)] };
    const r = await engine().json<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }>('POST', '/images/prune', {
      query: { filters: filtersJson(filters) },
    });
    if (r.ImagesDeleted?.length) {
      write('Deleted Images:\n');
      for (const d of r.ImagesDeleted) write(d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`);
      write('\n');
    }
    write(`Total reclaimed space: ${humanSize(r.SpaceReclaimed, 3)}\n`);
  },
};

export function registerImages(program: Command): void {
  const image = group(program, 'image', 'Manage images', [
    ['history', historyCommand.description],
    ['import', importCommand.description],
    ['inspect', inspectImageCommand.description],
    ['ls', imagesCommand.description],
    ['prune', pruneCommand.description],
    ['rm', rmiCommand.description],
    ['tag', tagCommand.description],
  ]);
  const lsAliases = ['berth image ls', 'berth image list', 'berth images'];
  mount(image, { ...imagesCommand, name: 'ls' }, 'berth image ls', lsAliases, ['list']);
  mount(program, imagesCommand, 'berth images', lsAliases);
  mount(image, inspectImageCommand, 'berth image inspect', []);
  for (const spec of [historyCommand, importCommand, tagCommand]) {
    const aliases = [`berth image ${spec.name}`, `berth ${spec.name}`];
    mount(image, spec, aliases[0], aliases);
    mount(program, spec, aliases[1], aliases);
  }
  const rmAliases = ['berth image rm', 'berth image remove', 'berth rmi'];
  mount(image, { ...rmiCommand, name: 'rm' }, 'berth image rm', rmAliases, ['remove']);
  mount(program, rmiCommand, 'berth rmi', rmAliases);
  mount(image, pruneCommand, 'berth image prune', []);
}
