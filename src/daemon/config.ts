/**
 * berthd's configuration: defaults, then `/etc/berth/daemon.json` (Docker's daemon.json keys
 * where they apply), then command-line flags, which win.
 */
import { readFile } from 'node:fs/promises';
import { errnoCode, invalid } from '../core/errors.js';
import { isLogLevel, type LogLevel } from '../core/log.js';
import { opt, problem, req, type Shape } from '../core/shape.js';

export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

export interface DaemonConfig {
  dataRoot: string;
  execRoot: string;
  hosts: string[];
  pidfile?: string;
  logLevel: LogLevel;
  /** Group that owns the API socket (mode 0660); root's group when it does not exist. */
  group: string;
  insecureRegistries: string[];
  defaultRuntime: string;
  runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
  tls?: { verify: boolean; ca?: string; cert?: string; key?: string };
  /**
   * syncfs each extracted layer before it is committed (default). Off, a power cut soon after an
   * import or pull can leave a committed layer with empty files, as with Docker and containerd's
   * defaults; only for machines whose images can be made again.
   */
  layerSync: boolean;
}

export const DEFAULTS: DaemonConfig = {
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  hosts: ['unix:///run/berth/berth.sock'],
  logLevel: 'info',
  group: 'berth',
  insecureRegistries: [],
  defaultRuntime: 'runc',
  runtimes: {},
  layerSync: true,
};

/**
 * The daemon.json keys berth understands (Docker's names) and their JSON types; any other key is
 * refused, as dockerd does.
 */
const FILE_SHAPE = {
  object: {
    'data-root': opt('string'),
    'exec-root': opt('string'),
    hosts: opt({ array: 'string' }),
    pidfile: opt('string'),
    'log-level': opt('string'),
    debug: opt('boolean'),
    group: opt('string'),
    'insecure-registries': opt({ array: 'string' }),
    'default-runtime': opt('string'),
    runtimes: opt({ record: { object: { path: req('string'), runtimeArgs: opt({ array: 'string' }) } } }),
    tlsverify: opt('boolean'),
    tlscacert: opt('string'),
    tlscert: opt('string'),
    tlskey: opt('string'),
    'live-restore': opt('boolean'),
    // berth's own key (Docker has no equivalent)
    'layer-sync': opt('boolean'),
  },
} satisfies Shape;

export interface FileConfig {
  'data-root'?: string;
  'exec-root'?: string;
  hosts?: string[];
  pidfile?: string;
  'log-level'?: string;
  debug?: boolean;
  group?: string;
  'insecure-registries'?: string[];
  'default-runtime'?: string;
  runtimes?: Record<string, { path: string; runtimeArgs?: string[] }>;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  'live-restore'?: boolean;
  'layer-sync'?: boolean;
}

function checkFileConfig(file: string, json: unknown): FileConfig {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw invalid('ERR_CONFIG', `unable to configure berthd with file ${file}: expected a JSON object`);
  }
  const unknown = Object.keys(json).filter((k) => !(k in FILE_SHAPE.object));
  if (unknown.length > 0) {
    throw invalid('ERR_CONFIG', `unable to configure berthd with file ${file}: the following directives don't match any configuration option: ${unknown.join(', ')}`);
  }
  const bad = problem(json, FILE_SHAPE);
  if (bad) throw invalid('ERR_CONFIG', `unable to configure berthd with file ${file}: ${bad}`);
  return json as FileConfig;
}

export async function readConfigFile(file: string, required: boolean): Promise<FileConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' && !required) return {};
    throw invalid('ERR_CONFIG', `unable to read configuration file ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid('ERR_CONFIG', `unable to configure berthd with file ${file}: ${(e as Error).message}`);
  }
  return checkFileConfig(file, json);
}

export interface FlagConfig {
  dataRoot?: string;
  execRoot?: string;
  host?: string[];
  pidfile?: string;
  logLevel?: string;
  debug?: boolean;
  group?: string;
  insecureRegistry?: string[];
  defaultRuntime?: string;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  layerSync?: boolean;
}

function logLevelOf(value: string, source: string): LogLevel {
  const v = value === 'warning' ? 'warn' : value === 'fatal' ? 'error' : value;
  if (!isLogLevel(v)) throw invalid('ERR_CONFIG', `invalid log level ${JSON.stringify(value)} in ${source} (debug, info, warn, error)`);
  return v;
}

/** Merge defaults, file and flags (flags win) into the effective configuration. */
export function mergeConfig(file: FileConfig, flags: FlagConfig): DaemonConfig {
  const c: DaemonConfig = { ...DEFAULTS, runtimes: { ...DEFAULTS.runtimes } };
  if (file['data-root']) c.dataRoot = file['data-root'];
  if (file['exec-root']) c.execRoot = file['exec-root'];
  if (file.hosts && file.hosts.length) c.hosts = file.hosts;
  if (file.pidfile) c.pidfile = file.pidfile;
  if (file['log-level']) c.logLevel = logLevelOf(file['log-level'], 'daemon.json');
  if (file.debug) c.logLevel = 'debug';
  if (file.group) c.group = file.group;
  if (file['insecure-registries']) c.insecureRegistries = file['insecure-registries'];
  if (file['default-runtime']) c.defaultRuntime = file['default-runtime'];
  if (file.runtimes) c.runtimes = { ...c.runtimes, ...file.runtimes };
  if (file['layer-sync'] !== undefined) c.layerSync = file['layer-sync'];
  if (file.tlsverify !== undefined || file.tlscacert || file.tlscert || file.tlskey) {
    c.tls = { verify: file.tlsverify ?? false, ca: file.tlscacert, cert: file.tlscert, key: file.tlskey };
  }

  if (flags.dataRoot) c.dataRoot = flags.dataRoot;
  if (flags.execRoot) c.execRoot = flags.execRoot;
  if (flags.host && flags.host.length) c.hosts = flags.host;
  if (flags.pidfile) c.pidfile = flags.pidfile;
  if (flags.logLevel) c.logLevel = logLevelOf(flags.logLevel, '--log-level');
  if (flags.debug) c.logLevel = 'debug';
  if (flags.group) c.group = flags.group;
  if (flags.insecureRegistry && flags.insecureRegistry.length) c.insecureRegistries = flags.insecureRegistry;
  if (flags.defaultRuntime) c.defaultRuntime = flags.defaultRuntime;
  if (flags.layerSync !== undefined) c.layerSync = flags.layerSync;
  if (flags.tlsverify !== undefined || flags.tlscacert || flags.tlscert || flags.tlskey) {
    c.tls = {
      verify: flags.tlsverify ?? c.tls?.verify ?? false,
      ca: flags.tlscacert ?? c.tls?.ca,
      cert: flags.tlscert ?? c.tls?.cert,
      key: flags.tlskey ?? c.tls?.key,
    };
  }
  // The default socket lives in the exec root; follow --exec-root when no host was given.
  if (!flags.host?.length && !file.hosts?.length && c.execRoot !== DEFAULTS.execRoot) {
    c.hosts = [`unix://${c.execRoot}/berth.sock`];
  }
  return c;
}

export type HostSpec = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** Parse `-H` values: `unix:///path.sock`, `tcp://host:port` (and a bare `/path.sock`). */
export function parseHost(value: string): HostSpec {
  if (value.startsWith('unix://')) {
    const path = value.slice('unix://'.length);
    if (!path.startsWith('/')) throw invalid('ERR_CONFIG', `invalid host ${value}: the socket path must be absolute`);
    return { kind: 'unix', path };
  }
  if (value.startsWith('/')) return { kind: 'unix', path: value };
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(value);
  if (m) return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  throw invalid('ERR_CONFIG', `invalid host ${value}: expected unix:///path or tcp://host:port`);
}
