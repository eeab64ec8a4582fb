/**
 * Commands declared the docker CLI's way (usage line, argument-count rule, pflag flags) and
 * mounted into commander, which only dispatches: the arguments are parsed here so that bad
 * flags, `--help` and wrong argument counts print what docker prints, with its exit statuses.
 */
import type { Command } from 'commander';
import { ExitError, write } from '../context.js';
import { renderHelp } from './help.js';
import { FlagError, HelpRequested, parseArgs, type ParsedFlags } from './parse.js';
import type { FlagSpec } from './spec.js';

export type ArgsRule = { none: true } | { exact: number } | { min: number } | { max: number } | { min: number; max: number };

export interface CommandContext {
  flags: ParsedFlags;
  args: string[];
  /** How the command was reached, e.g. "berth container run" (for messages). */
  path: string;
}

export interface CommandSpec {
  name: string;
  /** The usage after the command path: "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  use: string;
  description: string;
  flags: FlagSpec[];
  args: ArgsRule;
  /** run, create and exec stop reading flags at the first argument. */
  interspersed?: boolean;
  run: (ctx: CommandContext) => Promise<void>;
}

function plural(n: number): string {
  return n === 1 ? 'argument' : 'arguments';
}

/**
 * docker/cli's cli/required.go messages; "at least" says See, the others Run, and "at most"
 * prints "SRun" (a stray letter in docker 28's RequiresMaxArgs, kept because docker prints it).
 */
function checkArgs(rule: ArgsRule, n: number, path: string): { message: string; verb: 'See' | 'Run' | 'SRun' } | undefined {
  if ('none' in rule) return n > 0 ? { message: `'${path}' accepts no arguments`, verb: 'Run' } : undefined;
  if ('exact' in rule) return n !== rule.exact ? { message: `'${path}' requires ${rule.exact} ${plural(rule.exact)}`, verb: 'Run' } : undefined;
  if ('max' in rule && !('min' in rule)) return n > rule.max ? { message: `'${path}' requires at most ${rule.max} ${plural(rule.max)}`, verb: 'SRun' } : undefined;
  if ('max' in rule) {
    return n < rule.min || n > rule.max ? { message: `'${path}' requires at least ${rule.min} and at most ${rule.max} ${plural(rule.max)}`, verb: 'Run' } : undefined;
  }
  return n < rule.min ? { message: `'${path}' requires at least ${rule.min} ${plural(rule.min)}`, verb: 'See' } : undefined;
}

/** Parse and run one command; `aliases` are the full paths shown in help. */
export async function execute(spec: CommandSpec, argv: string[], path: string, aliases: string[]): Promise<void> {
  const useLine = `${path} ${spec.use}`.trimEnd();
  const helpShorthand = !spec.flags.some((f) => f.short === 'h');
  let parsed: { flags: ParsedFlags; args: string[] };
  try {
    parsed = parseArgs(spec.flags, argv, {
      interspersed: spec.interspersed ?? true,
      helpShorthand,
      // cobra prints flag deprecations on stdout.
      warn: (t) => write(t),
    });
  } catch (e) {
    if (e instanceof HelpRequested) {
      const flags = helpShorthand ? spec.flags : [...spec.flags, { name: 'help', type: '', usage: 'Print usage', initial: false, set: () => true }];
      write(renderHelp({ useLine, description: spec.description, aliases: aliases.length > 1 ? aliases : undefined, flags }));
      return;
    }
    if (e instanceof FlagError) {
      throw new ExitError(125, `${e.message}\n\nUsage:  ${useLine}\n\nRun '${path} --help' for more information`);
    }
    throw e;
  }
  const bad = checkArgs(spec.args, parsed.args.length, path);
  if (bad) {
    throw new ExitError(1, `berth: ${bad.message}\n\nUsage:  ${useLine}\n\n${bad.verb} '${path} --help' for more information`);
  }
  await spec.run({ flags: parsed.flags, args: parsed.args, path });
}

/**
 * Mount a command under a commander parent. Commander only dispatches: every argument after the
 * command name reaches `execute` untouched.
 */
export function mount(parent: Command, spec: CommandSpec, path: string, aliases: string[], alsoNamed: string[] = []): Command {
  const cmd = parent
    .command(spec.name)
    .description(spec.description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .argument('[args...]')
    .action(async (_args: string[], _opts: unknown, self: Command) => {
      await execute(spec, self.args, path, aliases);
    });
  for (const a of alsoNamed) cmd.alias(a);
  return cmd;
}

/** A group command (`container`, `image`, `system`) whose help lists its sub-commands like docker's. */
export function group(program: Command, name: string, description: string, commands: Array<[string, string]>): Command {
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
      // docker prints the group's help on stdout when asked, on stderr when no command is given.
      if (sub === undefined) {
        process.stderr.write(help);
        return;
      }
      if (sub === '--help' || sub === '-h') {
        write(help);
        return;
      }
      throw new ExitError(1, `berth: unknown command: berth ${name} ${sub}\n\nUsage:  berth ${name}\n\nRun 'berth ${name} --help' for more information`);
    });
  g.addHelpCommand(false);
  return g;
}
