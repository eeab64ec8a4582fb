/** `berth exec`: flags as docker's, the flow in ../run/exec.ts. */
import { ExitError, engine } from '../context.js';
import type { CommandSpec } from '../flags/command.js';
import { boolFlag, listFlag, stringFlag } from '../flags/spec.js';
import { validateEnv } from '../opts/validators.js';

export const execCommand: CommandSpec = {
  name: 'exec',
  use: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  flags: [
    boolFlag('detach', 'd', 'Detached mode: run command in the background'),
    stringFlag('detach-keys', undefined, 'Override the key sequence for detaching a container'),
    listFlag('env', 'e', 'Set environment variables', validateEnv),
    listFlag('env-file', undefined, 'Read in a file of environment variables'),
    boolFlag('interactive', 'i', 'Keep STDIN open even if not attached'),
    boolFlag('privileged', undefined, 'Give extended privileges to the command'),
    boolFlag('tty', 't', 'Allocate a pseudo-TTY'),
    stringFlag('user', 'u', 'Username or UID (format: "<name|uid>[:<group|gid>]")'),
    stringFlag('workdir', 'w', 'Working directory inside the container'),
  ],
  args: { min: 2 },
  interspersed: false,
  run: async ({ flags, args }) => {
    const { readEnvStrings } = await import('../opts/kv-files.js');
    const { runExec } = await import('../run/exec.js');
    const { processTerminal } = await import('../run/terminal.js');
    const { errorText } = await import('../run/errors.js');
    let env: string[];
    try {
      env = readEnvStrings(flags.list('env-file'), flags.list('env'));
    } catch (e) {
      throw new ExitError(1, (e as Error).message);
    }
    let status: number;
    try {
      status = await runExec(engine(), {
        container: args[0],
        cmd: args.slice(1),
        detach: flags.bool('detach'),
        detachKeys: flags.str('detach-keys'),
        env,
        interactive: flags.bool('interactive'),
        privileged: flags.bool('privileged'),
        tty: flags.bool('tty'),
        user: flags.str('user'),
        workdir: flags.str('workdir'),
        terminal: processTerminal(),
      });
    } catch (e) {
      if (e instanceof ExitError) throw e;
      throw new ExitError(1, errorText(e));
    }
    if (status !== 0) throw new ExitError(status);
  },
};
