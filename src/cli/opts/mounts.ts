/**
 * `-v/--volume` and `--mount`: which `-v` values are binds (sent in HostConfig.Binds) and which
 * are anonymous volumes (Config.Volumes), and the `--mount` CSV syntax as docker parses it.
 */
import * as path from 'node:path';
import { parseGoBool } from '../flags/spec.js';
import { ramInBytes } from './units.js';
import { parseCsvRecord } from './csv.js';

export interface Mount {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; Subpath?: string; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] };
}

function isWindowsDrive(buffer: string, char: string): boolean {
  return char === ':' && buffer.length === 1 && /\p{L}/u.test(buffer);
}

/** compose's volumespec.Parse, reduced to what the CLI uses: the source and whether it is a bind. */
export function parseVolumeSpec(spec: string): { source: string; target: string; type: 'bind' | 'volume' } {
  if (spec.length === 0) throw new Error('invalid empty volume spec');
  if (spec.length <= 2) return { source: '', target: spec, type: 'volume' };
  let source = '';
  let target = '';
  let buffer = '';
  const END = '\u0000';
  for (const char of spec + END) {
    if (isWindowsDrive(buffer, char)) {
      buffer += char;
    } else if (char === ':' || char === END) {
      const fail = (why: string) => new Error(`invalid spec: ${spec}: ${why}`);
      if (buffer.length === 0) throw fail('empty section between colons');
      if (source === '' && char === END) target = buffer;
      else if (source === '') source = buffer;
      else if (target === '') target = buffer;
      else if (char === ':') throw fail('too many colons');
      buffer = '';
    } else {
      buffer += char;
    }
  }
  const isFile = source !== '' && ('./~'.includes(source[0]) || source.startsWith('\\\\') || /^[A-Za-z]:\\/.test(source) || isWindowsDrive(source.slice(0, 1), source[1] ?? ''));
  return { source, target, type: source !== '' && isFile ? 'bind' : 'volume' };
}

/** Split the -v values into binds and anonymous volumes, as docker's parse() does. */
export function splitVolumes(values: string[]): { binds: string[]; volumes: string[] } {
  const unique = [...new Set(values)];
  const binds: string[] = [];
  const volumes: string[] = [];
  for (const bind of unique) {
    const parsed = parseVolumeSpec(bind);
    if (parsed.source === '') {
      volumes.push(bind);
      continue;
    }
    let toBind = bind;
    const colon = bind.indexOf(':');
    if (parsed.type === 'bind' && colon >= 0) {
      let hostPart = bind.slice(0, colon);
      if (!path.isAbsolute(hostPart) && hostPart.startsWith('.')) hostPart = path.resolve(hostPart);
      toBind = `${hostPart}:${bind.slice(colon + 1)}`;
    }
    binds.push(toBind);
  }
  return { binds, volumes };
}

function setOnMap(target: Record<string, string>, value: string): void {
  const eq = value.indexOf('=');
  const k = eq >= 0 ? value.slice(0, eq) : value;
  if (k !== '') target[k] = eq >= 0 ? value.slice(eq + 1) : '';
}

/** One `--mount` value (docker's MountOpt.Set). */
export function parseMount(value: string): Mount {
  const fields = parseCsvRecord(value);
  const mount: Mount = { Type: 'volume' };
  const volumeOptions = () => {
    mount.VolumeOptions ??= { Labels: {} };
    mount.VolumeOptions.DriverConfig ??= {};
    return mount.VolumeOptions;
  };
  const bindOptions = () => (mount.BindOptions ??= {});
  const tmpfsOptions = () => (mount.TmpfsOptions ??= {});
  const bool = (key: string, val: string): boolean => {
    try {
      return parseGoBool(val);
    } catch {
      throw new Error(`invalid value for ${key}: ${val}`);
    }
  };
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = eq >= 0 ? field.slice(0, eq) : field;
    const val = eq >= 0 ? field.slice(eq + 1) : '';
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') mount.ReadOnly = true;
      else if (key === 'volume-nocopy') volumeOptions().NoCopy = true;
      else if (key === 'bind-nonrecursive') bindOptions().NonRecursive = true;
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case 'type':
        mount.Type = val.toLowerCase();
        break;
      case 'source':
      case 'src':
        mount.Source = val.startsWith('./') || val === '.' ? path.resolve(val) : val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = val;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = bool(key, val);
        break;
      case 'consistency':
        mount.Consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        bindOptions().Propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bindOptions().NonRecursive = bool(key, val);
        break;
      case 'volume-nocopy':
        try {
          volumeOptions().NoCopy = parseGoBool(val);
        } catch {
          throw new Error(`invalid value for volume-nocopy: ${val}`);
        }
        break;
      case 'volume-label':
        setOnMap(volumeOptions().Labels as Record<string, string>, val);
        break;
      case 'volume-driver':
        (volumeOptions().DriverConfig as { Name?: string }).Name = val;
        break;
      case 'volume-subpath':
        volumeOptions().Subpath = val;
        break;
      case 'volume-opt': {
        const driver = volumeOptions().DriverConfig as { Options?: Record<string, string> };
        driver.Options ??= {};
        setOnMap(driver.Options, val);
        break;
      }
      case 'tmpfs-size':
        try {
          tmpfsOptions().SizeBytes = ramInBytes(val);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        break;
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val) || parseInt(val, 8) > 0xffffffff) throw new Error(`invalid value for ${key}: ${val}`);
        tmpfsOptions().Mode = parseInt(val, 8);
        break;
      }
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (mount.Type === '') throw new Error('type is required');
  if (!mount.Target) throw new Error('target is required');
  if (mount.VolumeOptions && mount.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  if (mount.BindOptions && mount.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  if (mount.TmpfsOptions && mount.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);
  // Go's JSON field order.
  const ordered: Mount = { Type: mount.Type };
  for (const k of ['Source', 'Target', 'ReadOnly', 'Consistency', 'BindOptions', 'VolumeOptions', 'TmpfsOptions'] as const) {
    const v = mount[k];
    if (v !== undefined && v !== '' && v !== false) (ordered as unknown as Record<string, unknown>)[k] = v;
  }
  return ordered;
}
