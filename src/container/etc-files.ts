/**
 * The three files berthd writes for each container and binds into it (/etc/hostname, /etc/hosts,
 * /etc/resolv.conf), with Docker's contents for a container on a network without a bridge.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { invalid } from '../core/errors.js';
import { writeFileAtomic } from '../core/fsutil.js';
import type { ContainerConfig } from '../image/oci.js';
import type { HostConfig } from './contract.js';

export interface EtcFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

export function etcFilePaths(containerDir: string): EtcFiles {
  return {
    hostname: path.join(containerDir, 'hostname'),
    hosts: path.join(containerDir, 'hosts'),
    resolvConf: path.join(containerDir, 'resolv.conf'),
  };
}

const BASE_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** `--add-host name:ip` entries as hosts lines (`ip\tname`). */
function extraHostLines(extra: string[]): string[] {
  return extra.map((e) => {
    const i = e.indexOf(':');
    if (i <= 0) throw invalid('ERR_ADD_HOST', `invalid argument "${e}" for "--add-host" flag: invalid IP address in add-host: ""`);
    return `${e.slice(i + 1)}\t${e.slice(0, i)}`;
  });
}

/** The host's resolver configuration, minus loopback nameservers a container cannot reach. */
async function hostResolvConf(): Promise<string[]> {
  let text = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  if (/^nameserver\s+127\.0\.0\.53\s*$/m.test(text)) {
    text = await readFile('/run/systemd/resolve/resolv.conf', 'utf8').catch(() => text);
  }
  return text.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1\s*$)/.test(l));
}

async function resolvConf(h: HostConfig): Promise<string> {
  const dns = h.Dns ?? [];
  const search = h.DnsSearch ?? [];
  const options = h.DnsOptions ?? [];
  let lines = await hostResolvConf();
  if (dns.length) lines = lines.filter((l) => !/^\s*nameserver\b/.test(l));
  if (search.length) lines = lines.filter((l) => !/^\s*(search|domain)\b/.test(l));
  if (options.length) lines = lines.filter((l) => !/^\s*options\b/.test(l));
  lines = lines.filter((l) => l.trim() !== '');
  for (const ns of dns) lines.push(`nameserver ${ns}`);
  if (search.length) lines.push(`search ${search.join(' ')}`);
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + '\n';
}

export async function writeEtcFiles(containerDir: string, config: ContainerConfig, h: HostConfig): Promise<EtcFiles> {
  const paths = etcFilePaths(containerDir);
  const hostname = config.Hostname ?? '';
  await writeFileAtomic(paths.hostname, `${hostname}\n`, { noSync: true });
  await writeFileAtomic(paths.hosts, [...BASE_HOSTS, ...extraHostLines(h.ExtraHosts ?? [])].join('\n') + '\n', { noSync: true });
  await writeFileAtomic(paths.resolvConf, await resolvConf(h), { noSync: true });
  return paths;
}
