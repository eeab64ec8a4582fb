/** top, port, diff, commit and export: one request each, docker's output formats. */
import { ExitError, engine, write } from '../context.js';
import type { CommandSpec } from '../flags/command.js';
import { boolFlag, listFlag, stringFlag } from '../flags/spec.js';

async function failWithDaemonText<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ExitError) throw e;
    const { errorText } = await import('../run/errors.js');
    throw new ExitError(1, errorText(e));
  }
}

export const topCommand: CommandSpec = {
  name: 'top',
  use: 'CONTAINER [ps OPTIONS]',
  description: 'Display the running processes of a container',
  flags: [],
  args: { min: 1 },
  interspersed: false,
  run: async ({ args }) => {
    const { tabwrite } = await import('../format/table.js');
    const top = await failWithDaemonText(() =>
      engine().json<{ Titles: string[]; Processes: string[][] | null }>('GET', `/containers/${args[0]}/top`, { query: { ps_args: args.length > 1 ? args.slice(1).join(' ') : undefined } }),
    );
    write(tabwrite([top.Titles.join('\t'), ...(top.Processes ?? []).map((p) => p.join('\t'))], { minWidth: 20 }));
  },
};

/** sortorder.NaturalLess: digit runs compare as numbers. */
export function naturalLess(a: string, b: string): boolean {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = chunks(a);
  const y = chunks(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    const dx = /^\d/.test(x[i]);
    const dy = /^\d/.test(y[i]);
    if (dx && dy) {
      const nx = BigInt(x[i]);
      const ny = BigInt(y[i]);
      if (nx !== ny) return nx < ny;
      return x[i].length < y[i].length;
    }
    return x[i] < y[i];
  }
  return x.length < y.length;
}

export const portCommand: CommandSpec = {
  name: 'port',
  use: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  flags: [],
  args: { min: 1, max: 2 },
  run: async ({ args }) => {
    const { joinHostPort } = await import('../format/go-text.js');
    const c = await failWithDaemonText(() =>
      engine().json<{ NetworkSettings?: { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null } }>('GET', `/containers/${args[0]}/json`),
    );
    const ports = c.NetworkSettings?.Ports ?? {};
    const out: string[] = [];
    if (args[1] !== undefined) {
      const slash = args[1].indexOf('/');
      const port = slash >= 0 ? args[1].slice(0, slash) : args[1];
      const proto = (slash >= 0 ? args[1].slice(slash + 1) : '') || 'tcp';
      if (!/^\d+$/.test(port) || Number(port) > 65535) {
        const why = /^\d+$/.test(port) ? 'value out of range' : 'invalid syntax';
        throw new ExitError(1, `Error: invalid port (${port}): strconv.ParseUint: parsing ${JSON.stringify(port)}: ${why}`);
      }
      const frontends = ports[`${port}/${proto}`];
      if (!frontends?.length) throw new ExitError(1, `Error: No public port '${args[1]}' published for ${args[0]}`);
      for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
    } else {
      for (const [from, frontends] of Object.entries(ports)) for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
    }
    out.sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
    if (out.length) write(`${out.join('\n')}\n`);
  },
};

const CHANGE_KINDS = ['C', 'A', 'D'];

export const diffCommand: CommandSpec = {
  name: 'diff',
  use: 'CONTAINER',
  description: "Inspect changes to files or directories on a container's filesystem",
  flags: [],
  args: { exact: 1 },
  run: async ({ args }) => {
    const changes = await failWithDaemonText(() => engine().json<Array<{ Kind: number; Path: string }> | null>('GET', `/containers/${args[0]}/changes`));
    write((changes ?? []).map((c) => `${CHANGE_KINDS[c.Kind] ?? '?'} ${c.Path}\n`).join(''));
  },
};

export const commitCommand: CommandSpec = {
  name: 'commit',
  use: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  description: "Create a new image from a container's changes",
  flags: [
    stringFlag('author', 'a', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")'),
    listFlag('change', 'c', 'Apply Dockerfile instruction to the created image'),
    stringFlag('message', 'm', 'Commit message'),
    boolFlag('pause', 'p', 'Pause container during commit', true),
  ],
  args: { min: 1, max: 2 },
  run: async ({ flags, args }) => {
    const { parseReference, repositoryName } = await import('../../image/reference.js');
    let repo = '';
    let tag = '';
    if (args[1]) {
      let ref;
      try {
        ref = parseReference(args[1]);
      } catch (e) {
        throw new ExitError(1, (e as Error).message);
      }
      if (ref.digest) throw new ExitError(1, 'refusing to create a tag with a digest reference');
      repo = repositoryName(ref);
      tag = ref.tag ?? 'latest';
    }
    const r = await failWithDaemonText(() =>
      engine().json<{ Id: string }>('POST', '/commit', {
        query: {
          author: flags.str('author'),
          changes: flags.list('change'),
          comment: flags.str('message'),
          container: args[0],
          pause: flags.bool('pause') ? undefined : '0',
          repo,
          tag,
        },
      }),
    );
    write(`${r.Id}\n`);
  },
};

export const exportCommand: CommandSpec = {
  name: 'export',
  use: '[OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  flags: [stringFlag('output', 'o', 'Write to a file, instead of STDOUT')],
  args: { exact: 1 },
  run: async ({ flags, args }) => {
    const output = flags.str('output');
    if (!output && process.stdout.isTTY) throw new ExitError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const { createWriteStream } = await import('node:fs');
    const { copyRaw } = await import('../../client/stdcopy.js');
    const res = await failWithDaemonText(() => engine().stream('GET', `/containers/${args[0]}/export`));
    if (!output) {
      await copyRaw(res, process.stdout);
      return;
    }
    const file = createWriteStream(output);
    await copyRaw(res, file);
    await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
  },
};
