/**
 * `berth stats`: docker's requests (an events subscription and the container list when no names
 * are given, then one `stats?stream=0` per container, keyed by the short ID) and its table.
 * Without --no-stream the table is redrawn every second from streamed samples.
 */
import { ExitError, engine, write } from '../context.js';
import type { CommandSpec } from '../flags/command.js';
import { boolFlag, stringFlag } from '../flags/spec.js';
import { FORMAT_USAGE } from './containers-list.js';

/**
 * Streaming mode: one `stats?stream=1` per container, the table redrawn in place every 500 ms
 * (cursor home, each line ended by erase-to-end-of-line, then erase below), until Ctrl-C.
 */
async function streamStats(keys: string[], render: (entries: import('../format/stats.js').StatsEntry[]) => string): Promise<never> {
  const { statsEntry } = await import('../format/stats.js');
  const { readLines } = await import('../../client/engine.js');
  const entries = keys.map((k) => ({ ...statsEntry(k, {}), invalid: true }));
  keys.forEach((key, i) => {
    engine()
      .stream('GET', `/containers/${key}/stats`, { query: { stream: '1' } })
      .then((res) => readLines(res, (line) => (entries[i] = statsEntry(key, JSON.parse(line)))))
      .catch(() => undefined)
      .finally(() => (entries[i] = { ...entries[i], invalid: true }));
  });
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const lines = render(entries).split('\n').slice(0, -1);
    write(`\x1b[H${lines.map((l) => `${l} \x1b[K`).join('\n')}\n \x1b[K\n\x1b[J`);
  }
}

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
    // docker subscribes to container events (to follow new containers) without waiting for them.
    const events = new AbortController();
    if (args.length === 0) {
      client.raw('GET', '/events', { query: { filters: JSON.stringify({ type: { container: true } }) }, signal: events.signal }).catch(() => undefined);
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
      if (flags.bool('no-stream')) {
        const results = await Promise.all(keys.map(sample));
        const errors = results.filter((r) => r.error !== undefined).map((r) => r.error as string);
        if (args.length && errors.length) throw new ExitError(1, errors.join('\n'));
        write(render(results.map((r, i) => r.entry ?? { ...statsEntry(keys[i], {}), invalid: true })));
        return;
      }
      await streamStats(keys, render);
    } finally {
      events.abort();
      stopInterrupt();
    }
  },
};
