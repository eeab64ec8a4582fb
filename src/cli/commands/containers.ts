/**
 * Registration of the container commands: each at the top level (`berth run`) and under
 * `berth container` (`berth container run`, `ls`/`list`/`ps`), plus `inspect` and the
 * `system` group (df, events, info, prune).
 */
import type { Command } from 'commander';
import { group, mount, type CommandSpec } from '../flags/command.js';
import { execCommand } from './containers-exec.js';
import { commitCommand, diffCommand, exportCommand, portCommand, topCommand } from './containers-info.js';
import {
  attachCommand,
  killCommand,
  pauseCommand,
  renameCommand,
  restartCommand,
  rmCommand,
  startCommand,
  stopCommand,
  unpauseCommand,
  updateCommand,
  waitCommand,
} from './containers-lifecycle.js';
import { psCommand } from './containers-list.js';
import { logsCommand } from './containers-logs.js';
import { createCommand, runCommand } from './containers-run.js';
import { statsCommand } from './containers-stats.js';
import { containerPruneCommand, eventsCommand, systemDfCommand, systemPruneCommand } from './containers-system.js';
import { containerInspectCommand, inspectCommand } from './inspect.js';

interface Placement {
  spec: CommandSpec;
  /** Name under the group, when it differs ("ls" for ps). */
  groupName?: string;
  groupAliases?: string[];
  /** Also a top-level command (most are). */
  topLevel?: boolean;
}

const CONTAINER_COMMANDS: Placement[] = [
  { spec: attachCommand, topLevel: true },
  { spec: commitCommand, topLevel: true },
  { spec: createCommand, topLevel: true },
  { spec: diffCommand, topLevel: true },
  { spec: execCommand, topLevel: true },
  { spec: exportCommand, topLevel: true },
  { spec: containerInspectCommand },
  { spec: killCommand, topLevel: true },
  { spec: logsCommand, topLevel: true },
  { spec: psCommand, groupName: 'ls', groupAliases: ['list', 'ps'], topLevel: true },
  { spec: pauseCommand, topLevel: true },
  { spec: portCommand, topLevel: true },
  { spec: containerPruneCommand },
  { spec: renameCommand, topLevel: true },
  { spec: restartCommand, topLevel: true },
  { spec: rmCommand, groupAliases: ['remove'], topLevel: true },
  { spec: runCommand, topLevel: true },
  { spec: startCommand, topLevel: true },
  { spec: statsCommand, topLevel: true },
  { spec: stopCommand, topLevel: true },
  { spec: topCommand, topLevel: true },
  { spec: unpauseCommand, topLevel: true },
  { spec: updateCommand, topLevel: true },
  { spec: waitCommand, topLevel: true },
];

function registerContainerGroup(program: Command): void {
  const container = group(
    program,
    'container',
    'Manage containers',
    CONTAINER_COMMANDS.map((p) => [p.groupName ?? p.spec.name, p.spec.description]),
  );
  for (const p of CONTAINER_COMMANDS) {
    const name = p.groupName ?? p.spec.name;
    const groupPaths = [name, ...(p.groupAliases ?? [])].map((n) => `berth container ${n}`);
    const aliases = p.topLevel ? [...groupPaths, `berth ${p.spec.name}`] : groupPaths;
    mount(container, { ...p.spec, name }, `berth container ${name}`, aliases, p.groupAliases ?? []);
    if (p.topLevel) mount(program, p.spec, `berth ${p.spec.name}`, aliases);
  }
}

function registerSystemGroup(program: Command): void {
  const system = group(program, 'system', 'Manage berth', [
    ['df', 'Show berth disk usage'],
    ['events', 'Get real time events from the server'],
    ['info', 'Display system-wide information'],
    ['prune', 'Remove unused data'],
  ]);
  mount(system, { ...systemDfCommand, description: 'Show berth disk usage' }, 'berth system df', []);
  const eventAliases = ['berth system events', 'berth events'];
  mount(system, eventsCommand, 'berth system events', eventAliases);
  mount(program, eventsCommand, 'berth events', eventAliases);
  mount(system, systemPruneCommand, 'berth system prune', []);
  // `system info` is `info` (registered by system.ts): hand the arguments over to it.
  system
    .command('info')
    .description('Display system-wide information')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (_args: string[], _opts: unknown, self: Command) => {
      await program.parseAsync(['info', ...self.args], { from: 'user' });
    });
}

export function registerContainers(program: Command): void {
  // `berth logs x | head`: a closed pipe ends the command quietly (docker dies of SIGPIPE).
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(141);
    throw e;
  });
  registerContainerGroup(program);
  mount(program, inspectCommand, 'berth inspect', []);
  registerSystemGroup(program);
}
