/**
 * `berth logs`: inspect (for Config.Tty), then `GET /containers/{id}/logs` with docker's query,
 * raw output for TTY containers, demultiplexed stdout/stderr otherwise.
 */
import { ExitError, engine } from '../context.js';
import type { CommandSpec } from '../flags/command.js';
import { boolFlag, stringFlag } from '../flags/spec.js';

const SINCE_USAGE = 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)';
const UNTIL_USAGE = 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)';

export const logsCommand: CommandSpec = {
  name: 'logs',
  use: '[OPTIONS] CONTAINER',
  description: 'Fetch the logs of a container',
  flags: [
    boolFlag('details', undefined, 'Show extra details provided to logs'),
    boolFlag('follow', 'f', 'Follow log output'),
    stringFlag('since', undefined, SINCE_USAGE),
    stringFlag('tail', 'n', 'Number of lines to show from the end of the logs', 'all'),
    boolFlag('timestamps', 't', 'Show timestamps'),
    stringFlag('until', undefined, UNTIL_USAGE),
  ],
  args: { exact: 1 },
  run: async ({ flags, args }) => {
    const { exitOnInterrupt } = await import('../run/interrupt.js');
    const stop = exitOnInterrupt();
    const { getTimestamp } = await import('../opts/timestamps.js');
    const { copyRaw, demultiplex } = await import('../../client/stdcopy.js');
    const c = await engine().json<{ Id: string; Config: { Tty: boolean } }>('GET', `/containers/${args[0]}/json`);
    const stamp = (name: 'since' | 'until') => {
      const v = flags.str(name);
      if (!v) return undefined;
      try {
        return getTimestamp(v);
      } catch (e) {
        throw new ExitError(1, `invalid value for "${name}": ${(e as Error).message}`);
      }
    };
    // Go's url.Values.Encode: keys sorted.
    const res = await engine().stream('GET', `/containers/${c.Id}/logs`, {
      query: {
        details: flags.bool('details') ? '1' : undefined,
        follow: flags.bool('follow') ? '1' : undefined,
        since: stamp('since'),
        stderr: '1',
        stdout: '1',
        tail: flags.str('tail'),
        timestamps: flags.bool('timestamps') ? '1' : undefined,
        until: stamp('until'),
      },
    });
    try {
      if (c.Config.Tty) await copyRaw(res, process.stdout);
      else await demultiplex(res, process.stdout, process.stderr);
    } catch (e) {
      throw new ExitError(1, (e as Error).message);
    } finally {
      stop();
    }
  },
};
