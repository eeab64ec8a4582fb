/**
 * Lifecycle commands: start (-a -i), stop, kill, restart, pause, unpause, wait, rm, rename,
 * update, attach. Requests, outputs and error texts as docker CLI 28 at API 1.41 (where the
 * stop/restart signal is not sent: it needs API 1.42).
 */
import { ExitError, engine, write } from '../context.js';
import type { CommandSpec } from '../flags/command.js';
import type { ParsedFlags } from '../flags/parse.js';
import { boolFlag, deprecated, hidden, intFlag, stringFlag, uintFlag, valueFlag } from '../flags/spec.js';
import { parseNanoCpus, ramInBytes } from '../opts/units.js';

const timeoutFlags = () => [
  stringFlag('signal', 's', 'Signal to send to the container'),
  intFlag('timeout', 't', 'Seconds to wait before killing the container'),
  { ...deprecated(intFlag('time', undefined, 'Seconds to wait before killing the container'), 'use --timeout instead'), storeAs: 'timeout' },
];

/** `t=` only when the user gave -t (docker's Changed("timeout")). */
function timeoutQuery(f: ParsedFlags): Record<string, number | undefined> {
  return { t: f.changed('timeout') ? f.num('timeout') : undefined };
}

async function lifecycle() {
  return import('../run/batch.js');
}

export const startCommand: CommandSpec = {
  name: 'start',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  flags: [
    boolFlag('attach', 'a', 'Attach STDOUT/STDERR and forward signals'),
    // Experimental in docker: hidden unless the daemon runs with experimental features.
    hidden(stringFlag('checkpoint', undefined, 'Restore from this checkpoint')),
    hidden(stringFlag('checkpoint-dir', undefined, 'Use a custom checkpoint storage directory')),
    stringFlag('detach-keys', undefined, 'Override the key sequence for detaching a container'),
    boolFlag('interactive', 'i', "Attach container's STDIN"),
  ],
  args: { min: 1 },
  run: async ({ flags, args }) => {
    for (const name of ['checkpoint', 'checkpoint-dir']) {
      if (flags.changed(name)) throw new ExitError(1, `"--${name}" is only supported on a Docker daemon with experimental features enabled`);
    }
    if (flags.bool('attach') || flags.bool('interactive')) {
      if (args.length > 1) throw new ExitError(1, 'you cannot start and attach multiple containers at once');
      const { startAttached } = await import('../run/attach.js');
      const { processTerminal } = await import('../run/terminal.js');
      const { errorText } = await import('../run/errors.js');
      let status: number;
      try {
        status = await startAttached(engine(), args[0], { interactive: flags.bool('interactive'), detachKeys: flags.str('detach-keys'), terminal: processTerminal() });
      } catch (e) {
        if (e instanceof ExitError) throw e;
        throw new ExitError(1, errorText(e));
      }
      if (status !== 0) throw new ExitError(status);
      return;
    }
    const { errorText } = await import('../run/errors.js');
    const failed: string[] = [];
    for (const name of args) {
      try {
        await engine().call('POST', `/containers/${name}/start`);
        write(`${name}\n`);
      } catch (e) {
        process.stderr.write(`${errorText(e)}\n`);
        failed.push(name);
      }
    }
    if (failed.length) throw new ExitError(1, `Error: failed to start containers: ${failed.join(', ')}`);
  },
};

export const stopCommand: CommandSpec = {
  name: 'stop',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Stop one or more running containers',
  flags: timeoutFlags(),
  args: { min: 1 },
  run: async ({ flags, args }) => {
    const { forEachContainer } = await lifecycle();
    await forEachContainer(args, (n) => engine().call('POST', `/containers/${n}/stop`, { query: timeoutQuery(flags) }).then(() => undefined));
  },
};

export const restartCommand: CommandSpec = {
  name: 'restart',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Restart one or more containers',
  flags: timeoutFlags(),
  args: { min: 1 },
  run: async ({ flags, args }) => {
    const { forEachContainer } = await lifecycle();
    await forEachContainer(args, (n) => engine().call('POST', `/containers/${n}/restart`, { query: timeoutQuery(flags) }).then(() => undefined), { parallel: false });
  },
};

export const killCommand: CommandSpec = {
  name: 'kill',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Kill one or more running containers',
  flags: [stringFlag('signal', 's', 'Signal to send to the container')],
  args: { min: 1 },
  run: async ({ flags, args }) => {
    const { forEachContainer } = await lifecycle();
    await forEachContainer(args, (n) => engine().call('POST', `/containers/${n}/kill`, { query: { signal: flags.str('signal') || undefined } }).then(() => undefined));
  },
};

function simple(name: string, description: string, verb: string): CommandSpec {
  return {
    name,
    use: 'CONTAINER [CONTAINER...]',
    description,
    flags: [],
    args: { min: 1 },
    run: async ({ args }) => {
      const { forEachContainer } = await lifecycle();
      await forEachContainer(args, (n) => engine().call('POST', `/containers/${n}/${verb}`).then(() => undefined));
    },
  };
}

export const pauseCommand = simple('pause', 'Pause all processes within one or more containers', 'pause');
export const unpauseCommand = simple('unpause', 'Unpause all processes within one or more containers', 'unpause');

export const waitCommand: CommandSpec = {
  name: 'wait',
  use: 'CONTAINER [CONTAINER...]',
  description: 'Block until one or more containers stop, then print their exit codes',
  flags: [],
  args: { min: 1 },
  run: async ({ args }) => {
    const { errorText } = await import('../run/errors.js');
    const { exitOnInterrupt } = await import('../run/interrupt.js');
    exitOnInterrupt();
    const errors: string[] = [];
    for (const name of args) {
      try {
        const r = await engine().json<{ Error?: { Message: string } | null; StatusCode: number }>('POST', `/containers/${name}/wait`);
        if (r.Error) throw new Error(r.Error.Message);
        write(`${r.StatusCode}\n`);
      } catch (e) {
        errors.push(errorText(e));
      }
    }
    if (errors.length) throw new ExitError(1, errors.join('\n'));
  },
};

export const rmCommand: CommandSpec = {
  name: 'rm',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  flags: [
    boolFlag('force', 'f', 'Force the removal of a running container (uses SIGKILL)'),
    boolFlag('link', 'l', 'Remove the specified link'),
    boolFlag('volumes', 'v', 'Remove anonymous volumes associated with the container'),
  ],
  args: { min: 1 },
  run: async ({ flags, args }) => {
    const { forEachContainer } = await lifecycle();
    const { EngineError } = await import('../../client/engine.js');
    const query = { force: flags.bool('force') ? '1' : undefined, link: flags.bool('link') ? '1' : undefined, v: flags.bool('volumes') ? '1' : undefined };
    await forEachContainer(
      args,
      (arg) => {
        const n = arg.replace(/^\/+|\/+$/g, '');
        if (n === '') return Promise.reject(new Error('container name cannot be empty'));
        return engine().call('DELETE', `/containers/${n}`, { query }).then(() => undefined);
      },
      { parallel: true, tolerate: (e) => flags.bool('force') && e instanceof EngineError && e.status === 404 },
    );
  },
};

export const renameCommand: CommandSpec = {
  name: 'rename',
  use: 'CONTAINER NEW_NAME',
  description: 'Rename a container',
  flags: [],
  args: { exact: 2 },
  run: async ({ args }) => {
    const [oldName, newName] = args.map((a) => a.trim());
    if (!oldName || !newName) throw new ExitError(1, 'Error: Neither old nor new names may be empty');
    try {
      await engine().call('POST', `/containers/${oldName}/rename`, { query: { name: newName } });
    } catch (e) {
      const { errorText } = await import('../run/errors.js');
      process.stderr.write(`${errorText(e)}\n`);
      throw new ExitError(1, `Error: failed to rename container named ${oldName}`);
    }
  },
};

export const updateCommand: CommandSpec = {
  name: 'update',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Update configuration of one or more containers',
  flags: [
    uintFlag('blkio-weight', undefined, 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', 16),
    intFlag('cpu-period', undefined, 'Limit CPU CFS (Completely Fair Scheduler) period'),
    intFlag('cpu-quota', undefined, 'Limit CPU CFS (Completely Fair Scheduler) quota'),
    intFlag('cpu-rt-period', undefined, 'Limit the CPU real-time period in microseconds'),
    intFlag('cpu-rt-runtime', undefined, 'Limit the CPU real-time runtime in microseconds'),
    stringFlag('cpuset-cpus', undefined, 'CPUs in which to allow execution (0-3, 0,1)'),
    stringFlag('cpuset-mems', undefined, 'MEMs in which to allow execution (0-3, 0,1)'),
    intFlag('cpu-shares', 'c', 'CPU shares (relative weight)'),
    valueFlag('memory', 'm', 'bytes', 'Memory limit', 0, (t) => ramInBytes(t)),
    valueFlag('memory-reservation', undefined, 'bytes', 'Memory soft limit', 0, (t) => ramInBytes(t)),
    valueFlag('memory-swap', undefined, 'bytes', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap', 0, (t) => (t === '-1' ? -1 : ramInBytes(t))),
    { ...valueFlag('kernel-memory', undefined, 'bytes', 'Kernel memory limit (deprecated)', 0, (t) => ramInBytes(t)), hidden: true },
    stringFlag('restart', undefined, 'Restart policy to apply when a container exits'),
    intFlag('pids-limit', undefined, 'Tune container pids limit (set -1 for unlimited)'),
    valueFlag('cpus', undefined, 'decimal', 'Number of CPUs', 0, (t) => parseNanoCpus(t)),
  ],
  args: { min: 1 },
  run: async ({ flags, args }) => {
    const { updateBody } = await import('../opts/update-config.js');
    const { errorText } = await import('../run/errors.js');
    const body = updateBody(flags);
    const warnings: string[] = [];
    const errors: string[] = [];
    for (const name of args) {
      try {
        const r = await engine().json<{ Warnings?: string[] | null }>('POST', `/containers/${name}/update`, { body });
        write(`${name}\n`);
        warnings.push(...(r?.Warnings ?? []));
      } catch (e) {
        errors.push(errorText(e));
      }
    }
    if (warnings.length) write(`${warnings.join('\n')}\n`);
    if (errors.length) throw new ExitError(1, errors.join('\n'));
  },
};

export const attachCommand: CommandSpec = {
  name: 'attach',
  use: '[OPTIONS] CONTAINER',
  description: 'Attach local standard input, output, and error streams to a running container',
  flags: [
    stringFlag('detach-keys', undefined, 'Override the key sequence for detaching a container'),
    boolFlag('no-stdin', undefined, 'Do not attach STDIN'),
    boolFlag('sig-proxy', undefined, 'Proxy all received signals to the process', true),
  ],
  args: { exact: 1 },
  run: async ({ flags, args }) => {
    const { attachContainer } = await import('../run/attach.js');
    const { processTerminal } = await import('../run/terminal.js');
    const { errorText } = await import('../run/errors.js');
    let status: number;
    try {
      status = await attachContainer(engine(), args[0], {
        noStdin: flags.bool('no-stdin'),
        detachKeys: flags.str('detach-keys'),
        sigProxy: flags.bool('sig-proxy'),
        terminal: processTerminal(),
      });
    } catch (e) {
      if (e instanceof ExitError) throw e;
      throw new ExitError(1, errorText(e));
    }
    if (status !== 0) throw new ExitError(status);
  },
};
