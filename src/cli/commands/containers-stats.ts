/**
 * `berth stats`: docker's requests (an events subscription and the container list when no names
 * are given, then one `stats?stream=0` per container, keyed by the short ID) and its table.
 * Without --no-stream the table is redrawn every second from streamed samples.
 */
import type { IncomingMessage } from 'node:http';
import { ExitError, engine, write } from '../context.js';
import type { CommandSpec } from '../flags/command.js';
import { boolFlag, stringFlag } from '../flags/spec.js';
import { FORMAT_USAGE } from './containers-list.js';

export const statsCommand: CommandSpec = {
  name: 'stats',
  use: '[OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  flags: [
    boolFlag('all', 'a', 'Show all containers (default shows just running)'),
    stringFlag('format', undefined, FORMAT_USAGE),
    boolFlag('no-stream', undefined, 'Disable streaming stats and only pull the first result'),
    boolFlag('no-trunc', undefined, 'Do not truncate output'),
  ],
  args: { min: 0 },
  run: async ({ flags, args }) => {
    const { statsEntry, statsRow, DEFAULT_STATS_TABLE, STATS_TITLES } = await import('../format/stats.js');
    const { checkTemplate, renderRows } = await import('../format/output.js');
    const { errorText } = await import('../run/errors.js');
    const format = flags.str('format');
    checkTemplate(format);
    const client = engine();
    let keys = args;
    let events: IncomingMessage | undefined;
    if (args.length === 0) {
      events = await client.raw('GET', '/events', { query: { filters: JSON.stringify({ type: { container: true } }) } }).catch(() => undefined);
      const list = await client.json<Array<{ Id: string }>>('GET', '/containers/json', { query: { all: flags.bool('all') ? '1' : undefined } });
      keys = list.map((c) => c.Id.slice(0, 12));
    }
    type Entry = import('../format/stats.js').StatsEntry;
    const sample = async (key: string): Promise<{ entry?: Entry; error?: string }> => {
      try {
        return { entry: statsEntry(key, await client.json('GET', `/containers/${key}/stats`, { query: { stream: '0' } })) };
      } catch (e) {
        return { error: errorText(e) };
      }
    };
    const { exitOnInterrupt } = await import('../run/interrupt.js');
    const stopInterrupt = exitOnInterrupt();
    const render = (entries: Entry[]) => renderRows(entries.map((e) => statsRow(e, !flags.bool('no-trunc'))), format, DEFAULT_STATS_TABLE, STATS_TITLES);
    try {
      do {
        const results = await Promise.all(keys.map(sample));
        const errors = results.filter((r) => r.error !== undefined).map((r) => r.error as string);
        if (args.length && errors.length) throw new ExitError(1, errors.join('\n'));
        const entries = results.map((r, i) => r.entry ?? { ...statsEntry(keys[i], {}), invalid: true });
        const table = render(entries);
        if (flags.bool('no-stream')) {
          write(table);
          return;
        }
        write(`\x1b[H\x1b[J${table}`);
        await new Promise((r) => setTimeout(r, 1000));
      } while (true);
    } finally {
      events?.destroy();
      stopInterrupt();
    }
  },
};
