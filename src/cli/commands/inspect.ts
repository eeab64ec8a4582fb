/**
 * `berth inspect` (and `container inspect`): docker's generic inspect. Without --type each name
 * is tried as a container, image, network, volume, then (after a swarm check on /info) a
 * plugin; 404s move on, other errors stop. Objects are printed as an indented JSON array or
 * through -f; names found nowhere end in "Error: No such object: NAME".
 */
import { EngineError, type EngineClient } from '../../client/engine.js';
import { ExitError, engine, write } from '../context.js';
import type { CommandSpec } from '../flags/command.js';
import { boolFlag, stringFlag } from '../flags/spec.js';

const INSPECT_FORMAT_USAGE =
  "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

type Kind = 'container' | 'image' | 'network' | 'volume' | 'plugin';

const PATHS: Record<Kind, (name: string, size: boolean) => [string, Record<string, string | undefined>]> = {
  container: (n, size) => [`/containers/${n}/json`, { size: size ? '1' : undefined }],
  image: (n) => [`/images/${n}/json`, {}],
  network: (n) => [`/networks/${n}`, {}],
  volume: (n) => [`/volumes/${n}`, {}],
  plugin: (n) => [`/plugins/${n}/json`, {}],
};

const TYPES = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];

function notFound(e: unknown): boolean {
  return e instanceof EngineError && (e.status === 404 || e.status === 501);
}

async function tryKind(client: EngineClient, kind: Kind, name: string, size: boolean): Promise<unknown> {
  const [path, query] = PATHS[kind](name, size);
  return client.json('GET', path, { query });
}

/** One name as the first kind that knows it, or the error docker prints for it. */
async function inspectOne(client: EngineClient, name: string, kinds: Kind[], size: boolean, generic: boolean): Promise<{ object?: unknown; error?: string }> {
  const { errorText } = await import('../run/errors.js');
  for (const kind of kinds) {
    if (generic && kind === 'plugin') await client.json('GET', '/info').catch(() => undefined);
    try {
      return { object: await tryKind(client, kind, name, size) };
    } catch (e) {
      if (!generic || !notFound(e)) return { error: errorText(e) };
    }
  }
  return { error: `Error: No such object: ${name}` };
}

export async function runInspect(names: string[], type: string, format: string, size: boolean): Promise<void> {
  const { renderInspect } = await import('../format/list.js');
  if (type && !TYPES.includes(type)) throw new ExitError(1, `unknown type: "${type}": must be one of ${TYPES.map((t) => `"${t}"`).join(', ')}`);
  if (format && format !== 'json') {
    // docker parses the template before any request and exits 64 on a bad one.
    const { Template } = await import('../format/template.js');
    try {
      new Template(format);
    } catch (e) {
      throw new ExitError(64, `template parsing error: ${(e as Error).message}`);
    }
  }
  const kinds: Kind[] = type ? ([type].filter((t) => t in PATHS) as Kind[]) : ['container', 'image', 'network', 'volume', 'plugin'];
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    const r = await inspectOne(engine(), name, kinds, size, !type);
    if (r.error !== undefined) errors.push(r.error);
    else found.push(r.object);
  }
  try {
    // `-f json` prints the whole list as one JSON array.
    // A template with nothing to render still prints an empty line, as docker's does.
    if (format && format !== 'json' && found.length === 0) write('\n');
    else write(format === 'json' ? `${JSON.stringify(found)}\n` : renderInspect(found, format || undefined));
  } catch (e) {
    throw new ExitError(1, `template parsing error: ${(e as Error).message}`);
  }
  if (errors.length) throw new ExitError(1, errors.join('\n'));
}

export const inspectCommand: CommandSpec = {
  name: 'inspect',
  use: '[OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on Docker objects',
  flags: [
    stringFlag('format', 'f', INSPECT_FORMAT_USAGE),
    boolFlag('size', 's', 'Display total file sizes if the type is container'),
    stringFlag('type', undefined, 'Only inspect objects of the given type'),
  ],
  args: { min: 1 },
  run: async ({ flags, args }) => runInspect(args, flags.str('type'), flags.str('format'), flags.bool('size')),
};

export const containerInspectCommand: CommandSpec = {
  name: 'inspect',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Display detailed information on one or more containers',
  flags: [stringFlag('format', 'f', INSPECT_FORMAT_USAGE), boolFlag('size', 's', 'Display total file sizes')],
  args: { min: 1 },
  run: async ({ flags, args }) => runInspect(args, 'container', flags.str('format'), flags.bool('size')),
};
