/** Image commands: images / image ls, inspect, history, tag, rmi, import, image prune. */
import type { ImageSummary } from '../../client/types.js';
import * as fs from 'node:fs';
import type { Command } from 'commander';
import type { Readable } from 'node:stream';
import type { HistoryItem } from '../../api/views/image.js';
import { humanDuration, humanSize } from '../../core/humanize.js';
import { readJsonMessages } from '../../client/engine.js';
import { engine, ExitError, write } from '../context.js';
import { renderInspect, renderList } from '../format/list.js';
import { goMapOrder } from '../format/go-text.js';
import { renderRows } from '../format/output.js';
import { ellipsis } from '../format/table.js';
import { confirm, filtersQuery } from './shared.js';


const collect = (v: string, prev: string[] = []) => [...prev, v];

function shortImageId(id: string, noTrunc: boolean): string {
  return noTrunc ? id : id.replace(/^sha256:/, '').slice(0, 12);
}

function since(unixSeconds: number): string {
  return `${humanDuration(Date.now() - unixSeconds * 1000)} ago`;
}

/** One row per (repository, tag) as the docker CLI builds them, with its field names. */
function imageRows(images: ImageSummary[], noTrunc: boolean): object[] {
  const rows: Array<Record<string, string>> = [];
  for (const img of images) {
    const digests = (img.RepoDigests ?? []).filter((d) => d !== '<none>@<none>');
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const base = {
      Containers: img.Containers < 0 ? 'N/A' : String(img.Containers),
      CreatedAt: new Date(img.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
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

async function listImages(repo: string | undefined, opts: { all?: boolean; quiet?: boolean; digests?: boolean; noTrunc?: boolean; filter?: string[]; format?: string }): Promise<void> {
  const filters = filtersQuery(opts.filter);
  if (repo) (filters.reference ??= []).push(repo);
  const images = await engine().json<ImageSummary[]>('GET', '/images/json', {
    query: { all: opts.all ? '1' : undefined, filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined },
  });
  const rows = imageRows(images, !!opts.noTrunc);
  if (opts.quiet) {
    write(rows.map((r) => (r as { ID: string }).ID + '\n').join(''));
    return;
  }
  const defaultTable = opts.digests
    ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
    : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
  write(renderRows(rows, opts.format ?? '', defaultTable, IMAGE_TITLES));
}

async function inspectImages(names: string[], opts: { format?: string }): Promise<void> {
  const found: unknown[] = [];
  let failed: string | undefined;
  for (const name of names) {
    try {
      found.push(await engine().json('GET', `/images/${name}/json`));
    } catch (e) {
      failed = `Error: No such image: ${name}`;
      if (!(e instanceof Error) || !/No such image|no such image/.test(e.message)) throw e;
    }
  }
  write(renderInspect(found, opts.format));
  if (failed) throw new ExitError(1, failed);
}

async function history(name: string, opts: { human: boolean; noTrunc?: boolean; quiet?: boolean; format?: string }): Promise<void> {
  const items = await engine().json<HistoryItem[]>('GET', `/images/${name}/history`);
  const rows = items.map((h) => goMapOrder({
    ID: h.Id === '<missing>' ? h.Id : shortImageId(h.Id, !!opts.noTrunc),
    CreatedSince: opts.human ? since(h.Created) : new Date(h.Created * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
    CreatedAt: new Date(h.Created * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
    CreatedBy: opts.noTrunc ? h.CreatedBy : ellipsis(h.CreatedBy.replace(/\t/g, ' '), 45),
    Size: opts.human ? humanSize(h.Size, 3) : String(h.Size),
    Comment: h.Comment,
  }));
  if (opts.quiet) {
    write(rows.map((r) => r.ID + '\n').join(''));
    return;
  }
  write(
    renderList(rows, {
      defaultTable: 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}',
      titles: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
    }, opts.format),
  );
}

async function tag(source: string, target: string): Promise<void> {
  // Split REPO[:TAG] the way the CLI does: the last colon after the last slash starts the tag.
  const slash = target.lastIndexOf('/');
  const colon = target.lastIndexOf(':');
  const [repo, t] = colon > slash ? [target.slice(0, colon), target.slice(colon + 1)] : [target, ''];
  await engine().call('POST', `/images/${source}/tag`, { query: { repo, tag: t || undefined } });
}

async function removeImages(names: string[], opts: { force?: boolean; prune: boolean }): Promise<void> {
  let failed = false;
  for (const name of names) {
    try {
      const records = await engine().json<Array<{ Untagged?: string; Deleted?: string }>>('DELETE', `/images/${name}`, {
        query: { force: opts.force ? '1' : undefined, noprune: opts.prune ? undefined : '1' },
      });
      for (const r of records) write(r.Untagged ? `Untagged: ${r.Untagged}\n` : `Deleted: ${r.Deleted}\n`);
    } catch (e) {
      failed = true;
      process.stderr.write(`Error response from daemon: ${(e as Error).message}\n`);
    }
  }
  if (failed) throw new ExitError(1);
}

async function importImage(file: string, reference: string | undefined, opts: { change?: string[]; message?: string; platform?: string }): Promise<void> {
  const stream: Readable = file === '-' ? process.stdin : fs.createReadStream(file, { highWaterMark: 1 << 20 });
  let repo: string | undefined;
  let t: string | undefined;
  if (reference) {
    const slash = reference.lastIndexOf('/');
    const colon = reference.lastIndexOf(':');
    [repo, t] = colon > slash ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, undefined];
  }
  const res = await engine().stream('POST', '/images/create', {
    query: { fromSrc: '-', repo, tag: t, message: opts.message, changes: opts.change, platform: opts.platform },
    stream,
    contentType: 'application/x-tar',
  });
  let error: string | undefined;
  await readJsonMessages(res, (m) => {
    const detail = m.errorDetail as { message?: string } | undefined;
    if (detail) error = detail.message ?? String(m.error);
    else if (typeof m.status === 'string') write(`${m.status}\n`);
  });
  if (error) throw new ExitError(1, error);
}

async function prune(opts: { all?: boolean; force?: boolean; filter?: string[] }): Promise<void> {
  const warning = opts.all
    ? 'WARNING! This will remove all images without at least one container associated to them.'
    : 'WARNING! This will remove all dangling images.';
  if (!opts.force && !(await confirm(`${warning}\nAre you sure you want to continue? [y/N] `))) return;
  const filters = filtersQuery(opts.filter);
  if (opts.all) filters.dangling = ['false'];
  const r = await engine().json<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }>('POST', '/images/prune', {
    query: { filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined },
  });
  if (r.ImagesDeleted?.length) {
    write('Deleted Images:\n');
    for (const d of r.ImagesDeleted) write(d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`);
    write('\n');
  }
  write(`Total reclaimed space: ${humanSize(r.SpaceReclaimed, 3)}\n`);
}

function addListOptions(cmd: Command): Command {
  return cmd
    .argument('[repository]', 'REPOSITORY[:TAG]')
    .option('-a, --all', 'show all images (default hides intermediate images)')
    .option('-q, --quiet', 'only show image IDs')
    .option('--digests', 'show digests')
    .option('--no-trunc', "don't truncate output")
    .option('-f, --filter <filter>', 'filter output based on conditions provided', collect)
    .option('--format <format>', "format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')")
    .action(listImages);
}

function addHistory(cmd: Command): Command {
  return cmd
    .argument('<image>')
    .option('-H, --human [bool]', 'print sizes and dates in human readable format', (v) => v !== 'false', true)
    .option('--no-trunc', "don't truncate output")
    .option('-q, --quiet', 'only show image IDs')
    .option('--format <format>', 'format output using a custom template')
    .action(history);
}

function addRemove(cmd: Command): Command {
  return cmd
    .argument('<image...>')
    .option('-f, --force', 'force removal of the image')
    .option('--no-prune', 'do not delete untagged parents')
    .action(removeImages);
}

function addImport(cmd: Command): Command {
  return cmd
    .argument('<file>', 'archive file or - for standard input')
    .argument('[reference]', 'REPOSITORY[:TAG]')
    .option('-c, --change <instruction>', 'apply Dockerfile instruction to the created image', collect)
    .option('-m, --message <message>', 'set commit message for imported image')
    .option('--platform <platform>', 'set platform if server is multi-platform capable')
    .action(importImage);
}

export function registerImages(program: Command): void {
  addListOptions(program.command('images').description('List images'));
  addHistory(program.command('history').description('Show the history of an image'));
  program.command('tag').description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE').argument('<source>').argument('<target>').action(tag);
  addRemove(program.command('rmi').description('Remove one or more images'));
  addImport(program.command('import').description('Import the contents from a tarball to create a filesystem image'));

  const image = program.command('image').description('Manage images');
  addListOptions(image.command('ls').alias('list').description('List images'));
  image.command('inspect').description('Display detailed information on one or more images').argument('<image...>').option('-f, --format <format>', 'format output using a custom template').action(inspectImages);
  addHistory(image.command('history').description('Show the history of an image'));
  image.command('tag').description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE').argument('<source>').argument('<target>').action(tag);
  addRemove(image.command('rm').alias('remove').description('Remove one or more images'));
  addImport(image.command('import').description('Import the contents from a tarball to create a filesystem image'));
  image
    .command('prune')
    .description('Remove unused images')
    .option('-a, --all', 'remove all unused images, not just dangling ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'provide filter values (e.g. "until=<timestamp>")', collect)
    .action(prune);
}
