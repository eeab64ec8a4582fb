/**
 * Resource flags with structured values: --ulimit (go-units ParseUlimit), block-IO weights and
 * throttles, and --gpus, each with docker's error texts and JSON field order.
 */
import { parseCsvRecord } from './csv.js';
import { ramInBytes } from './units.js';

export interface Ulimit {
  Name: string;
  Hard: number;
  Soft: number;
}

const ULIMITS = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

function parseInt64(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  return Number(text);
}

export function parseUlimit(val: string): Ulimit {
  const eq = val.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${val}`);
  const name = val.slice(0, eq);
  if (!ULIMITS.has(name)) throw new Error(`invalid ulimit type: ${name}`);
  const limits = val.slice(eq + 1).split(':');
  if (limits.length > 2) throw new Error(`too many limit value arguments - ${val.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const hardGiven = limits.length === 2 ? parseInt64(limits[1]) : undefined;
  const soft = parseInt64(limits[0]);
  const hard = hardGiven ?? soft;
  if (hard !== -1 && soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Hard: hard, Soft: soft };
}

function devicePath(val: string): [string, string] {
  const colon = val.indexOf(':');
  const k = colon >= 0 ? val.slice(0, colon) : val;
  if (colon < 0 || k === '') throw new Error(`bad format: ${val}`);
  if (!k.startsWith('/dev/')) throw new Error(`bad format for device path: ${val}`);
  return [k, val.slice(colon + 1)];
}

export function parseWeightDevice(val: string): { Path: string; Weight: number } {
  const [path, v] = devicePath(val);
  const weight = /^\d+$/.test(v) ? Number(v) : NaN;
  if (Number.isNaN(weight) || weight > 65535 || (weight > 0 && (weight < 10 || weight > 1000))) throw new Error(`invalid weight for device: ${val}`);
  return { Path: path, Weight: weight };
}

export function parseDeviceRate(val: string, kind: 'bps' | 'iops'): { Path: string; Rate: number } {
  const [path, v] = devicePath(val);
  if (kind === 'bps') {
    const bad = () =>
      new Error(`invalid rate for device: ${val}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`);
    let rate: number;
    try {
      rate = ramInBytes(v);
    } catch {
      throw bad();
    }
    if (rate < 0) throw bad();
    return { Path: path, Rate: rate };
  }
  if (!/^\d+$/.test(v)) throw new Error(`invalid rate for device: ${val}. The correct format is <device-path>:<number>. Number must be a positive integer`);
  return { Path: path, Rate: Number(v) };
}

export interface DeviceRequest {
  Driver: string;
  Count: number;
  DeviceIDs: string[] | null;
  Capabilities: string[][] | null;
  Options: Record<string, string> | null;
}

/** docker's GpuOpts.Set: "all", a count, or a CSV of count=, device=, driver=, capabilities=, options=. */
export function parseGpus(value: string): DeviceRequest {
  const fields = parseCsvRecord(value);
  const req: DeviceRequest = { Driver: '', Count: 0, DeviceIDs: null, Capabilities: null, Options: {} };
  let seenCount = false;
  let capabilities: string[] = [];
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = eq >= 0 ? field.slice(0, eq) : field;
    const val = eq >= 0 ? field.slice(eq + 1) : '';
    if (eq < 0 && fields.length === 1) {
      if (key === 'all') req.Count = -1;
      else if (/^-?\d+$/.test(key)) req.Count = Number(key);
      else throw new Error(`invalid count (${key}): value must be either "all" or an integer: invalid syntax`);
      seenCount = true;
      continue;
    }
    switch (key) {
      case 'driver':
        req.Driver = val;
        break;
      case 'count':
        if (val === 'all') req.Count = -1;
        else if (/^-?\d+$/.test(val)) req.Count = Number(val);
        else throw new Error(`invalid count (${val}): value must be either "all" or an integer: invalid syntax`);
        seenCount = true;
        break;
      case 'device':
        req.DeviceIDs = val.split(',');
        break;
      case 'capabilities':
        capabilities = val.split(',');
        break;
      case 'options': {
        const o = parseCsvRecord(val);
        for (const kv of o) {
          const i = kv.indexOf('=');
          (req.Options as Record<string, string>)[i >= 0 ? kv.slice(0, i) : kv] = i >= 0 ? kv.slice(i + 1) : '';
        }
        break;
      }
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!seenCount && req.DeviceIDs === null) req.Count = 1;
  if (!capabilities.includes('gpu')) capabilities.push('gpu');
  req.Capabilities = [capabilities];
  return req;
}
