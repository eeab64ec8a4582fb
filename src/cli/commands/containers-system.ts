/** events, container prune, system df and system prune with docker's requests and output. */
import { ExitError, engine, write } from '../context.js';
import type { CommandSpec } from '../flags/command.js';
import { boolFlag, stringFlag } from '../flags/spec.js';
import { filterFlag, filtersJson, type Filters } from '../opts/filters.js';
import { FORMAT_USAGE } from './containers-list.js';

const EVENTS_FORMAT_USAGE =
  "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

export const eventsCommand: CommandSpec = {
  name: 'events',
  use: '[OPTIONS]',
  description: 'Get real time events from the server',
  flags: [
    filterFlag('filter', 'f', 'Filter output based on conditions provided'),
    stringFlag('format', undefined, EVENTS_FORMAT_USAGE),
    stringFlag('since', undefined, 'Show all events created since timestamp'),
    stringFlag('until', undefined, 'Stream events until this timestamp'),
  ],
  args: { none: true },
  run: async ({ flags }) => {
    const { getTimestamp } = await import('../opts/timestamps.js');
    const { checkTemplate } = await import('../format/output.js');
    const { eventLine } = await import('../format/events.js');
    const format = flags.str('format');
    checkTemplate(format);
    const stamp = (v: string) => {
      if (!v) return undefined;
      try {
        return getTimestamp(v);
      } catch (e) {
        throw new ExitError(1, (e as Error).message);
      }
    };
    const query = { filters: filtersJson(flags.get<Filters>('filter')), since: stamp(flags.str('since')), until: stamp(flags.str('until')) };
    const { exitOnInterrupt } = await import('../run/interrupt.js');
    const { readLines } = await import('../../client/engine.js');
    const res = await engine().stream('GET', '/events', { query });
    const stop = exitOnInterrupt();
    try {
      await readLines(res, (line) => write(eventLine(line, format)));
    } finally {
      stop();
    }
  },
};

async function confirmOrStop(question: string, force: boolean): Promise<boolean> {
  if (force) return true;
  const { promptForConfirmation } = await import('../run/prompt.js');
  return promptForConfirmation(question);
}

export const containerPruneCommand: CommandSpec = {
  name: 'prune',
  use: '[OPTIONS]',
  description: 'Remove all stopped containers',
  flags: [filterFlag('filter', undefined, 'Provide filter values (e.g. "until=<timestamp>")'), boolFlag('force', 'f', 'Do not prompt for confirmation')],
  args: { none: true },
  run: async ({ flags }) => {
    const { humanSize } = await import('../../core/humanize.js');
    if (!(await confirmOrStop('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ', flags.bool('force')))) return;
    const r = await engine().json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/containers/prune', { query: { filters: filtersJson(flags.get<Filters>('filter')) } });
    let out = '';
    if (r.ContainersDeleted?.length) out += `Deleted Containers:\n${r.ContainersDeleted.map((c) => `${c}\n`).join('')}\n`;
    write(`${out}Total reclaimed space: ${humanSize(r.SpaceReclaimed, 4)}\n`);
  },
};

export const systemDfCommand: CommandSpec = {
  name: 'df',
  use: '[OPTIONS]',
  description: 'Show docker disk usage',
  flags: [stringFlag('format', undefined, FORMAT_USAGE), boolFlag('verbose', 'v', 'Show detailed information on space usage')],
  args: { none: true },
  run: async ({ flags }) => {
    const { renderDiskUsage } = await import('../format/disk-usage.js');
    const { checkTemplate } = await import('../format/output.js');
    checkTemplate(flags.str('format'));
    const df = await engine().json<import('../format/disk-usage.js').DiskUsage>('GET', '/system/df');
    write(renderDiskUsage(df, flags.str('format'), flags.bool('verbose')));
  },
};

function pruneWarning(all: boolean, volumes: boolean, filters: Filters): string {
  const items = ['all stopped containers', 'all networks not used by at least one container'];
  if (volumes) items.push('all anonymous volumes not used by at least one container');
  items.push(all ? 'all images without at least one container associated to them' : 'all dangling images');
  items.push(all ? 'all build cache' : 'unused build cache');
  const pairs = Object.keys(filters)
    .sort()
    .flatMap((k) => [...filters[k]].sort().map((v) => `${k}=${v}`));
  const filtered = pairs.length ? `\n  Items to be pruned will be filtered with:\n${pairs.map((p) => `  - ${p}\n`).join('')}` : '';
  return `WARNING! This will remove:\n${items.map((i) => `  - ${i}\n`).join('')}${filtered}\nAre you sure you want to continue? [y/N] `;
}

export const systemPruneCommand: CommandSpec = {
  name: 'prune',
  use: '[OPTIONS]',
  description: 'Remove unused data',
  flags: [
    boolFlag('all', 'a', 'Remove all unused images not just dangling ones'),
    filterFlag('filter', undefined, 'Provide filter values (e.g. "label=<key>=<value>")'),
    boolFlag('force', 'f', 'Do not prompt for confirmation'),
    boolFlag('volumes', undefined, 'Prune anonymous volumes'),
  ],
  args: { none: true },
  run: async ({ flags }) => {
    const { humanSize } = await import('../../core/humanize.js');
    const all = flags.bool('all');
    const filters = flags.get<Filters>('filter');
    if (!(await confirmOrStop(pruneWarning(all, flags.bool('volumes'), filters), flags.bool('force')))) return;
    const client = engine();
    let out = '';
    let space = 0;
    const section = (title: string, items: string[] | null | undefined) => {
      if (items?.length) out += `${title}:\n${items.map((i) => `${i}\n`).join('')}\n`;
    };
    const c = await client.json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/containers/prune', { query: { filters: filtersJson(filters) } });
    section('Deleted Containers', c.ContainersDeleted);
    space += c.SpaceReclaimed ?? 0;
    const n = await client.json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', { query: { filters: filtersJson(filters) } });
    section('Deleted Networks', n.NetworksDeleted);
    if (flags.bool('volumes')) {
      const v = await client.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', { query: { filters: filtersJson(filters) } });
      section('Deleted Volumes', v.VolumesDeleted);
      space += v.SpaceReclaimed ?? 0;
    }
    const imageFilters: Filters = { ...filters, dangling: [all ? 'false' : 'true'] };
    const i = await client.json<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }>('POST', '/images/prune', { query: { filters: filtersJson(imageFilters) } });
    section('Deleted Images', i.ImagesDeleted?.map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`)));
    space += i.SpaceReclaimed ?? 0;
    const b = await client.json<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/build/prune', { query: { all: all ? '1' : undefined, filters: filtersJson(filters) ?? '' } });
    section('Deleted build cache objects', b.CachesDeleted);
    space += b.SpaceReclaimed ?? 0;
    write(`${out}Total reclaimed space: ${humanSize(space, 4)}\n`);
  },
};
