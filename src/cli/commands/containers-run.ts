/** `berth run` and `berth create`: flags to a create body, then docker's create/run flows. */
import { ExitError, engine, write } from '../context.js';
import type { CommandSpec } from '../flags/command.js';
import type { ParsedFlags } from '../flags/parse.js';
import { buildCreateBody, type CreateBody } from '../opts/container-config.js';
import { createFlags, runFlags } from '../opts/container-flags.js';
import { createContainer, type CreateOptions } from '../run/create.js';
import { errorText, withHelp } from '../run/errors.js';
import { runContainer } from '../run/run.js';
import { processTerminal, ttySize } from '../run/terminal.js';

const API_GATED: Array<[string, string]> = [
  ['annotation', '1.43'],
  ['health-start-interval', '1.44'],
];
const WINDOWS_ONLY = ['cpu-count', 'cpu-percent', 'io-maxbandwidth', 'io-maxiops'];

/** Flags the 1.41 API or a Linux daemon cannot take: docker refuses them before anything else. */
function checkFlagSupport(f: ParsedFlags): void {
  for (const [name, version] of API_GATED) {
    if (f.changed(name)) throw new ExitError(1, `"--${name}" requires API version ${version}, but the Docker daemon API version is 1.41`);
  }
  for (const name of WINDOWS_ONLY) {
    if (f.changed(name)) throw new ExitError(1, `"--${name}" is only supported on a Docker daemon running on windows, but the Docker daemon is running on linux`);
  }
}

function validatePull(pull: string): void {
  if (!['always', 'missing', 'never', ''].includes(pull)) {
    throw new Error(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }
}

/** The create body, or the 125 failure docker reports for bad flag values. */
function bodyFor(f: ParsedFlags, args: string[], command: 'run' | 'create'): CreateBody {
  checkFlagSupport(f);
  try {
    validatePull(f.str('pull'));
    const t = processTerminal();
    const body = buildCreateBody(f, { image: args[0], args: args.slice(1), consoleSize: ttySize(t) });
    if (f.bool('use-api-socket')) {
      const mounts = (body.HostConfig.Mounts as unknown[] | undefined) ?? [];
      body.HostConfig.Mounts = [...mounts, { Type: 'bind', Source: engine().socketPath ?? '/var/run/docker.sock', Target: '/var/run/docker.sock', BindOptions: {} }];
    }
    return body;
  } catch (e) {
    throw new ExitError(125, withHelp(e, command));
  }
}

const MAC_PER_NETWORK = '"specify mac-address per network" requires API version 1.44, but the Docker daemon API version is 1.41';

function hasMacAddress(body: CreateBody): boolean {
  return Object.values(body.NetworkingConfig.EndpointsConfig).some((ep) => ep.MacAddress !== '');
}

function createOptions(f: ParsedFlags): CreateOptions {
  return { name: f.str('name'), platform: f.str('platform'), pull: f.str('pull'), quiet: f.bool('quiet') };
}

export const runCommand: CommandSpec = {
  name: 'run',
  use: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  flags: runFlags(),
  args: { min: 1 },
  interspersed: false,
  run: async ({ flags, args }) => {
    const body = bodyFor(flags, args, 'run');
    if (hasMacAddress(body)) throw new ExitError(125, withHelp(new Error(MAC_PER_NETWORK), 'run'));
    const status = await runContainer(engine(), body, {
      detach: flags.bool('detach'),
      attachGiven: flags.list('attach').length > 0,
      sigProxy: flags.bool('sig-proxy'),
      detachKeys: flags.str('detach-keys'),
      autoRemove: flags.bool('rm'),
      create: createOptions(flags),
      terminal: processTerminal(),
    });
    if (status !== 0) throw new ExitError(status);
  },
};

export const createCommand: CommandSpec = {
  name: 'create',
  use: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  flags: createFlags(),
  args: { min: 1 },
  interspersed: false,
  run: async ({ flags, args }) => {
    const body = bodyFor(flags, args, 'create');
    if (hasMacAddress(body)) throw new ExitError(1, MAC_PER_NETWORK);
    let id: string;
    try {
      id = await createContainer(engine(), body, createOptions(flags));
    } catch (e) {
      throw new ExitError(1, errorText(e));
    }
    write(`${id}\n`);
  },
};
