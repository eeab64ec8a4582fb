/**
 * Creating a container as `docker create`/`run` do: the --cidfile guard, `--pull always`, the
 * create request (`?name=&platform=`), and on 404 "Unable to find image 'x' locally" then a pull
 * (`POST /images/create?fromImage=&tag=`) and a second create. Daemon warnings go to stderr.
 */
import { existsSync, openSync, closeSync, unlinkSync, writeSync } from 'node:fs';
import { EngineError, type EngineClient } from '../../client/engine.js';
import { familiarReference, parseReference, repositoryName, type Reference } from '../../image/reference.js';
import { displayJsonMessages } from '../format/jsonmessage.js';
import type { CreateBody } from '../opts/container-config.js';
import { canonicalIp } from '../opts/validators.js';
import { devNull } from './devnull.js';

export interface CreateOptions {
  name: string;
  platform: string;
  pull: string;
  quiet: boolean;
}

/** The --cidfile: refused if it exists, created empty, removed again unless an ID was written. */
class CidFile {
  private fd?: number;
  private written = false;

  constructor(private readonly path: string) {
    if (!path) return;
    if (existsSync(path)) throw new Error(`container ID file found, make sure the other container isn't running or delete ${path}`);
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new Error(`failed to create the container ID file: ${(e as Error).message}`);
    }
  }

  write(id: string): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, id);
    this.written = true;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    if (!this.written) unlinkSync(this.path);
  }
}

/** distribution/reference ParseAnyReference: a named reference, or undefined for an image ID. */
function namedReference(image: string): Reference | undefined {
  if (/^(sha256:)?[a-f0-9]{64}$/.test(image)) return undefined;
  try {
    return parseReference(image);
  } catch (e) {
    throw new Error((e as Error).message);
  }
}

/** containerd's platforms.Parse + Format, for the forms people type ("linux/amd64", "amd64"). */
function normalizePlatform(p: string): string {
  const parts = p.toLowerCase().split('/');
  if (parts.length === 1) return ['linux', 'windows', 'darwin', 'freebsd'].includes(parts[0]) ? `${parts[0]}/${process.arch === 'x64' ? 'amd64' : process.arch}` : `linux/${parts[0]}`;
  return parts.join('/');
}

/** Pull through the daemon, progress on stderr (unless quiet). */
export async function pullImage(engine: EngineClient, ref: Reference, platform: string, quiet: boolean): Promise<void> {
  const tag = ref.digest ?? ref.tag ?? 'latest';
  const res = await engine.stream('POST', '/images/create', {
    query: { fromImage: repositoryName(ref), platform: platform ? platform.toLowerCase() : undefined, tag },
    headers: { 'X-Registry-Auth': 'e30=' },
  });
  await displayJsonMessages(res, quiet ? devNull() : process.stderr);
}

function localhostDnsWarning(dns: string[]): string | undefined {
  for (const ip of dns) {
    const c = canonicalIp(ip);
    if (c && (c.startsWith('127.') || c === '::1')) return `Localhost DNS (${c}) may fail in containers.`;
  }
  return undefined;
}

/** Create the container and return its ID. */
export async function createContainer(engine: EngineClient, body: CreateBody, opts: CreateOptions): Promise<string> {
  const cid = new CidFile(body.HostConfig.ContainerIDFile as string);
  try {
    const named = namedReference(body.Image);
    if (named && named.tag === undefined && named.digest === undefined) named.tag = 'latest';
    const platform = opts.platform ? normalizePlatform(opts.platform) : undefined;
    if (opts.pull === 'always' && named) await pullImage(engine, named, opts.platform, opts.quiet);
    const create = () =>
      engine.json<{ Id: string; Warnings: string[] | null }>('POST', '/containers/create', {
        query: { name: opts.name || undefined, platform },
        body,
      });
    let response: { Id: string; Warnings: string[] | null };
    try {
      response = await create();
    } catch (e) {
      if (!(e instanceof EngineError && e.status === 404 && named && opts.pull === 'missing')) throw e;
      if (!opts.quiet) process.stderr.write(`Unable to find image '${familiarReference(named)}' locally\n`);
      await pullImage(engine, named, opts.platform, opts.quiet);
      response = await create();
    }
    const warnings = [...(response.Warnings ?? [])];
    const dnsWarning = localhostDnsWarning(body.HostConfig.Dns as string[]);
    if (dnsWarning) warnings.push(dnsWarning);
    for (const w of warnings) process.stderr.write(`WARNING: ${w}\n`);
    cid.write(response.Id);
    return response.Id;
  } finally {
    cid.close();
  }
}
