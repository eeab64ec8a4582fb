/**
 * `-p/--publish` and `--expose` with go-connections/nat's rules: `[ip:][hostPort:]containerPort[/proto]`,
 * ranges on both sides, the long `published=,target=,protocol=` form, and docker's error texts.
 */
import { goQuote } from '../flags/spec.js';
import { canonicalIp } from './validators.js';

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

function parseUint16(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`strconv.ParseUint: parsing ${goQuote(text)}: invalid syntax`);
  const n = Number(text);
  if (n > 65535) throw new Error(`strconv.ParseUint: parsing ${goQuote(text)}: value out of range`);
  return n;
}

/** nat.ParsePortRange: "80" or "8000-8010". */
export function parsePortRange(ports: string): [number, number] {
  if (ports === '') throw new Error('empty string specified for ports');
  if (!ports.includes('-')) {
    const p = parseUint16(ports);
    return [p, p];
  }
  const parts = ports.split('-');
  const start = parseUint16(parts[0]);
  const end = parseUint16(parts[1]);
  if (end < start) throw new Error(`invalid range specified for port: ${ports}`);
  return [start, end];
}

/** nat.SplitProtoPort: "80/udp" → ["udp", "80"]; no protocol means tcp. */
export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw.length === 0 || parts[0].length === 0) return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1].length === 0) return ['tcp', parts[0]];
  return [parts[1], parts[0]];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  const containerPort = parts[n - 1];
  if (n === 1) return ['', '', containerPort];
  if (n === 2) return ['', parts[0], containerPort];
  if (n === 3) return [parts[0], parts[1], containerPort];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2], containerPort];
}

/** docker's convertToStandardNotation for the `published=8080,target=80` form. */
function standardNotation(publish: string): string {
  if (!publish.includes('=')) return publish;
  const params: Record<string, string> = { protocol: 'tcp' };
  for (const param of publish.split(',')) {
    const eq = param.indexOf('=');
    if (eq <= 0) throw new Error(`invalid publish opts format (should be name=value but got '${param}')`);
    params[param.slice(0, eq)] = param.slice(eq + 1);
  }
  return `${params.published ?? ''}:${params.target ?? ''}/${params.protocol}`;
}

function parsePortSpec(raw: string): Array<{ port: string; binding: PortBinding }> {
  const parts = splitParts(raw);
  let ip = parts[0];
  const hostPort = parts[1];
  const [rawProto, containerPort] = splitProtoPort(parts[2]);
  if (ip !== '' && ip[0] === '[') {
    const close = ip.indexOf(']');
    if (close !== ip.length - 1) throw new Error(`invalid IP address ${ip}: address ${ip}:: missing port in address`);
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && canonicalIp(ip) === undefined) throw new Error(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new Error(`no port specified: ${raw}<empty>`);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort !== '') {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
  }
  if (hostPort !== '' && end - start !== hostEnd - hostStart && end !== start) {
    throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  const proto = rawProto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new Error(`invalid proto: ${proto}`);
  const out: Array<{ port: string; binding: PortBinding }> = [];
  for (let i = 0; i <= end - start; i++) {
    let hp = hostPort !== '' ? String(hostStart + i) : '';
    if (start === end && hostStart !== hostEnd) hp = `${hp}-${hostEnd}`;
    out.push({ port: `${start + i}/${proto}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
}

/** nat.ParsePortSpecs over the -p values: exposed ports and their bindings. */
export function parsePublish(values: string[]): { exposed: string[]; bindings: Map<string, PortBinding[]> } {
  const exposed: string[] = [];
  const bindings = new Map<string, PortBinding[]>();
  const specs = values.map(standardNotation);
  for (const raw of specs) {
    for (const { port, binding } of parsePortSpec(raw)) {
      if (!exposed.includes(port)) exposed.push(port);
      bindings.set(port, [...(bindings.get(port) ?? []), binding]);
    }
  }
  return { exposed, bindings };
}

/** The ports of the --expose values ("80", "9000-9010/udp"). */
export function parseExpose(values: string[]): string[] {
  const out: string[] = [];
  for (const e of values) {
    if (e.includes(':')) throw new Error(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let start: number;
    let end: number;
    try {
      [start, end] = parsePortRange(port);
    } catch (err) {
      throw new Error(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
    }
    for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  }
  return out;
}
