/** `berth version` and `berth info`, laid out as `docker version` and `docker info`. */
import type { Command } from 'commander';
import { bytesSize } from '../../core/humanize.js';
import { BERTH_VERSION } from '../../core/version.js';
import { CLIENT_API_VERSION } from '../../client/engine.js';
import { engine, write } from '../context.js';
import { renderInspect } from '../format/list.js';

type Json = Record<string, unknown>;

function arch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

function clientSection(): string {
  return [
    'Client:',
    ` Version:           ${BERTH_VERSION}`,
    ` API version:       ${CLIENT_API_VERSION}`,
    ` Node version:      ${process.versions.node}`,
    ` OS/Arch:           linux/${arch()}`,
    ` Context:           default`,
    '',
  ].join('\n');
}

function pad(label: string, width = 18): string {
  return (label + ':').padEnd(width, ' ');
}

async function version(opts: { format?: string }): Promise<void> {
  if (opts.format) {
    const server = await engine().json<Json>('GET', '/version');
    write(renderInspect([{ Client: { Version: BERTH_VERSION, ApiVersion: CLIENT_API_VERSION, Os: 'linux', Arch: arch() }, Server: server }], opts.format));
    return;
  }
  write(clientSection() + '\n');
  const v = await engine().json<Json & { Components?: Array<{ Name: string; Version: string; Details?: Record<string, string> }> }>('GET', '/version');
  const lines = [`Server: ${(v.Platform as Json | undefined)?.Name ?? ''}`];
  for (const c of v.Components ?? []) {
    if (c.Name === 'Engine') {
      const d = c.Details ?? {};
      lines.push(
        ' Engine:',
        `  ${pad('Version')}${c.Version}`,
        `  ${pad('API version')}${d.ApiVersion} (minimum version ${d.MinAPIVersion})`,
        `  ${pad('Node version')}${String(d.GoVersion ?? '').replace(/^node/, '')}`,
        `  ${pad('Git commit')}${d.GitCommit ?? ''}`,
        `  ${pad('Built')}${d.BuildTime ?? ''}`,
        `  ${pad('OS/Arch')}${d.Os}/${d.Arch}`,
        `  ${pad('Experimental')}${d.Experimental}`,
      );
    } else {
      lines.push(` ${c.Name}:`, `  ${pad('Version')}${c.Version}`);
      for (const [k, val] of Object.entries(c.Details ?? {})) lines.push(`  ${pad(k)}${val}`);
    }
  }
  write(lines.join('\n') + '\n');
}

async function info(opts: { format?: string }): Promise<void> {
  const i = await engine().json<Json>('GET', '/info');
  if (opts.format) {
    write(renderInspect([i], opts.format));
    return;
  }
  const n = (k: string) => i[k] as number;
  const s = (k: string) => (i[k] ?? '') as string;
  const runtimes = Object.keys((i.Runtimes as Json | undefined) ?? {}).join(' ');
  const lines = [
    clientSection().trimEnd(),
    '',
    'Server:',
    ` Containers: ${n('Containers')}`,
    `  Running: ${n('ContainersRunning')}`,
    `  Paused: ${n('ContainersPaused')}`,
    `  Stopped: ${n('ContainersStopped')}`,
    ` Images: ${n('Images')}`,
    ` Server Version: ${s('ServerVersion')}`,
    ` Storage Driver: ${s('Driver')}`,
    ...((i.DriverStatus as string[][] | undefined) ?? []).map(([k, v]) => `  ${k}: ${v}`),
    ` Logging Driver: ${s('LoggingDriver')}`,
    ` Cgroup Driver: ${s('CgroupDriver')}`,
    ` Cgroup Version: ${s('CgroupVersion')}`,
    ` Runtimes: ${runtimes}`,
    ` Default Runtime: ${s('DefaultRuntime')}`,
    ` Init Binary: ${s('InitBinary')}`,
    ` Security Options:`,
    ...((i.SecurityOptions as string[] | undefined) ?? []).map((o) => `  ${o.replace(/^name=/, '').replace(/,profile=/, '\n   Profile: ')}`),
    ` Kernel Version: ${s('KernelVersion')}`,
    ` Operating System: ${s('OperatingSystem')}`,
    ` OSType: ${s('OSType')}`,
    ` Architecture: ${s('Architecture')}`,
    ` CPUs: ${n('NCPU')}`,
    ` Total Memory: ${bytesSize(n('MemTotal'))}`,
    ` Name: ${s('Name')}`,
    ` ID: ${s('ID')}`,
    ` Berth Root Dir: ${s('DockerRootDir')}`,
    ` Debug Mode: ${i.Debug ? 'true' : 'false'}`,
    ` Live Restore Enabled: ${i.LiveRestoreEnabled ? 'true' : 'false'}`,
  ];
  write(lines.join('\n') + '\n');
  for (const w of (i.Warnings as string[] | null) ?? []) process.stderr.write(`WARNING: ${w}\n`);
}

export function registerSystem(program: Command): void {
  program.command('version').description('Show the berth version information').option('-f, --format <template>', 'format the output using a Go template').action(version);
  program.command('info').description('Display system-wide information').option('-f, --format <template>', 'format the output using a Go template').action(info);
}
