/**
 * Per-occurrence validators of the container flags (docker/cli's opts package): each returns the
 * value to keep or throws with docker's message.
 */
import { isIP } from 'node:net';
import { goQuote } from '../flags/spec.js';

const WHITESPACE = /[ \t]/;

export function validateEnv(val: string): string {
  const eq = val.indexOf('=');
  const k = eq >= 0 ? val.slice(0, eq) : val;
  if (k === '') throw new Error(`invalid environment variable: ${val}`);
  if (eq >= 0) return val;
  const env = process.env[k];
  return env !== undefined ? `${k}=${env}` : val;
}

export function validateLabel(val: string): string {
  const eq = val.indexOf('=');
  const key = (eq >= 0 ? val.slice(0, eq) : val).replace(/^[ \t]+/, '');
  if (key === '') throw new Error(`invalid label '${val}': empty name`);
  if (WHITESPACE.test(key)) throw new Error(`label '${key}' contains whitespaces`);
  return val;
}

/** Go's net.ParseIP + String(): accepts IPv4 and IPv6, returns the canonical form. */
export function canonicalIp(text: string): string | undefined {
  const t = text.trim();
  if (isIP(t) === 4) return t.split('.').map((o) => String(Number(o))).join('.');
  if (isIP(t) === 6 && !t.includes('%')) return new URL(`http://[${t}]/`).hostname.slice(1, -1);
  return undefined;
}

export function validateIPAddress(val: string): string {
  const ip = canonicalIp(val);
  if (ip === undefined) throw new Error(`IP address is not correctly formatted: ${val}`);
  return ip;
}

export function validateExtraHost(val: string): string {
  let sep = val.indexOf('=');
  if (sep < 0) sep = val.indexOf(':');
  const k = sep >= 0 ? val.slice(0, sep) : val;
  let v = sep >= 0 ? val.slice(sep + 1) : '';
  if (sep < 0 || k === '' || k.includes(':')) throw new Error(`bad format for add-host: ${goQuote(val)}`);
  if (v !== 'host-gateway') {
    if (v.length > 2 && v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
    if (canonicalIp(v) === undefined) throw new Error(`invalid IP address in add-host: ${goQuote(v)}`);
  }
  return `${k}:${v}`;
}

const DOMAIN = /^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\.?\s*$/;

export function validateDNSSearch(val: string): string {
  const v = val.replace(/^ +| +$/g, '');
  if (v === '.') return v;
  if (!/[a-zA-Z]/.test(v)) throw new Error(`${v} is not a valid domain`);
  const m = DOMAIN.exec(v);
  if (m && m[1].length < 255) return m[1];
  throw new Error(`${v} is not a valid domain`);
}

const SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

export function validateSysctl(val: string): string {
  const eq = val.indexOf('=');
  const k = eq >= 0 ? val.slice(0, eq) : '';
  if (eq < 0 || k === '') throw new Error(`sysctl '${val}' is not allowed`);
  if (SYSCTLS.has(k) || k.startsWith('net.') || k.startsWith('fs.mqueue.')) return val;
  throw new Error(`sysctl '${val}' is not allowed`);
}

export function validateLink(val: string): string {
  if (val === '') throw new Error('empty string specified for links');
  if (val.split(':').length > 2) throw new Error(`bad format for links: ${val}`);
  return val;
}

export function validateAttach(val: string): string {
  const s = val.toLowerCase();
  if (s === 'stdin' || s === 'stdout' || s === 'stderr') return s;
  throw new Error('valid streams are STDIN, STDOUT and STDERR');
}

export function validateDeviceCgroupRule(val: string): string {
  if (/^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$/.test(val)) return val;
  throw new Error(`invalid device cgroup format '${val}'`);
}

/** Key=value pairs into a map; later keys win, a missing value is "". */
export function kvToMap(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    out[eq >= 0 ? v.slice(0, eq) : v] = eq >= 0 ? v.slice(eq + 1) : '';
  }
  return out;
}
