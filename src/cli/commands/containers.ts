/**
 * Registration of the container commands: each at the top level (`berth run`) and under
 * `berth container` (`berth container run`, `ls`/`list`/`ps`), plus the `system` group.
 */
import type { Command } from 'commander';
import { ExitError, write } from '../context.js';
import { mount, type CommandSpec } from '../flags/command.js';
import { renderHelp } from '../flags/help.js';
import { createCommand, runCommand } from './containers-run.js';

interface Placement {
  spec: CommandSpec;
  /** Name under the group, when it differs ("ls" for ps). */
  groupName?: string;
  groupAliases?: string[];
  /** Also a top-level command (most are). */
  topLevel?: boolean;
}

const CONTAINER_COMMANDS: Placement[] = [
  { spec: runCommand, topLevel: true },
  { spec: createCommand, topLevel: true },
];

function aliasesOf(p: Placement): string[] {
  const name = p.groupName ?? p.spec.name;
  const group = [name, ...(p.groupAliases ?? [])].map((n) => `berth container ${n}`);
  return p.topLevel ? [...group, `berth ${p.spec.name}`] : group;
}

/** A group command (`container`, `system`) whose help lists its sub-commands like docker's. */
function group(program: Command, name: string, description: string, commands: Array<[string, string]>): Command {
  const g = program
    .command(name)
    .description(description)
    .helpOption(false)
    .enablePositionalOptions()
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[command]')
    .action((sub: string | undefined) => {
      const help = renderHelp({ useLine: `berth ${name} COMMAND`, description, commands, groupPath: `berth ${name}`, flags: [] });
      if (sub === undefined || sub === '--help' || sub === '-h') {
        write(help);
        return;
      }
      throw new ExitError(1, `berth: unknown command: berth ${name} ${sub}\n\nRun 'berth ${name} --help' for more information`);
    });
  g.addHelpCommand(false);
  return g;
}

export function registerContainers(program: Command): void {
  const sortedForHelp = [...CONTAINER_COMMANDS].sort((a, b) => (a.groupName ?? a.spec.name).localeCompare(b.groupName ?? b.spec.name));
  const container = group(
    program,
    'container',
    'Manage containers',
    sortedForHelp.map((p) => [p.groupName ?? p.spec.name, p.spec.description]),
  );
  for (const p of CONTAINER_COMMANDS) {
    const aliases = aliasesOf(p);
    const name = p.groupName ?? p.spec.name;
    mount(container, { ...p.spec, name }, `berth container ${name}`, aliases, p.groupAliases ?? []);
    if (p.topLevel) mount(program, p.spec, `berth ${p.spec.name}`, aliases);
  }
}
