/** `berth ps` / `container ls`: `GET /containers/json` rendered as docker's ps. */
import { engine, write } from '../context.js';
import type { CommandSpec } from '../flags/command.js';
import { boolFlag, intFlag, stringFlag } from '../flags/spec.js';
import { filterFlag, filtersJson, type Filters } from '../opts/filters.js';

export const FORMAT_USAGE =
  "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const psCommand: CommandSpec = {
  name: 'ps',
  use: '[OPTIONS]',
  description: 'List containers',
  flags: [
    boolFlag('all', 'a', 'Show all containers (default shows just running)'),
    filterFlag('filter', 'f', 'Filter output based on conditions provided'),
    stringFlag('format', undefined, FORMAT_USAGE),
    { ...intFlag('last', 'n', 'Show n last created containers (includes all states)', -1) },
    boolFlag('latest', 'l', 'Show the latest created container (includes all states)'),
    boolFlag('no-trunc', undefined, "Don't truncate output"),
    boolFlag('quiet', 'q', 'Only display container IDs'),
    boolFlag('size', 's', 'Display total file sizes'),
  ],
  args: { none: true },
  run: async ({ flags }) => {
    const { checkTemplate, renderRows, usesField } = await import('../format/output.js');
    const { containerRow, rawContainer, PS_TITLES } = await import('../format/containers.js');
    const format = flags.str('format');
    const quiet = flags.bool('quiet');
    if (format && quiet) process.stderr.write('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
    let limit = flags.num('last');
    if (flags.bool('latest') && limit === -1) limit = 1;
    let size = flags.bool('size');
    if (format) {
      checkTemplate(format);
      if (!quiet && !size && !flags.changed('size') && usesField(format, 'Size')) size = true;
    }
    const containers = await engine().json<Array<import('../format/containers.js').ContainerSummary>>('GET', '/containers/json', {
      query: {
        all: flags.bool('all') ? '1' : undefined,
        filters: filtersJson(flags.get<Filters>('filter')),
        limit: limit > 0 ? limit : undefined,
        size: size ? '1' : undefined,
      },
    });
    const trunc = !flags.bool('no-trunc');
    const rows = containers.map((c) => containerRow(c, trunc));
    if (quiet) {
      write(rows.map((r) => `${r.ID}\n`).join(''));
      return;
    }
    if (format === 'raw') {
      write(rows.map((r) => rawContainer(r, size)).join(''));
      return;
    }
    write(renderRows(rows, format, size ? `${DEFAULT_TABLE}\t{{.Size}}` : DEFAULT_TABLE, PS_TITLES));
  },
};
