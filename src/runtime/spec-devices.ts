/**
 * `--device` and `--device-cgroup-rule` with Docker's parsing and meaning: each host device
 * (a directory expands to every device below it) becomes a node in the container plus an allow
 * rule in the devices cgroup with the requested permissions.
 */
import * as path from 'node:path';
import { invalid } from '../core/errors.js';
import type { DeviceMapping, HostDevice } from './contract.js';
import type { OciDevice, OciDeviceRule } from './oci-config.js';

const PERMISSIONS = /^[rwm]{1,3}$/;

function validPermissions(p: string): boolean {
  return PERMISSIONS.test(p) && new Set(p).size === p.length;
}

/** The CLI form `/dev/x[:/dev/y][:rwm]` (docker/cli opts.ParseDevice). */
export function parseDeviceMapping(spec: string): DeviceMapping {
  const parts = spec.split(':');
  let src = '';
  let dst = '';
  let permissions = 'rwm';
  if (parts.length === 3) {
    [src, dst, permissions] = parts;
    if (!validPermissions(permissions)) throw invalid('ERR_DEVICE_SPEC', `bad mode specified: ${permissions}`);
  } else if (parts.length === 2) {
    if (validPermissions(parts[1])) [src, permissions] = parts;
    else [src, dst] = parts;
  } else if (parts.length === 1) {
    src = parts[0];
  } else {
    throw invalid('ERR_DEVICE_SPEC', `invalid device specification: ${spec}`);
  }
  if (!dst) dst = src;
  if (!path.posix.isAbsolute(src)) throw invalid('ERR_DEVICE_SPEC', `invalid device specification: ${spec}: the host path must be absolute`);
  if (!path.posix.isAbsolute(dst)) throw invalid('ERR_DEVICE_SPEC', `invalid device specification: ${spec}: the container path must be absolute`);
  return { pathOnHost: src, pathInContainer: dst, cgroupPermissions: permissions };
}

/** Nodes and cgroup rules for one mapping, given what stat found on the host (moby DevicesFromPath). */
export function devicesFromMapping(mapping: DeviceMapping, found: readonly HostDevice[] | undefined): { devices: OciDevice[]; rules: OciDeviceRule[] } {
  const permissions = mapping.cgroupPermissions || 'rwm';
  if (!validPermissions(permissions)) throw invalid('ERR_DEVICE_SPEC', `invalid device cgroup permissions "${permissions}"`);
  if (!found || found.length === 0) {
    throw invalid('ERR_DEVICE_NOT_FOUND', `error gathering device information while adding custom device "${mapping.pathOnHost}": no such file or directory`);
  }
  const inContainer = mapping.pathInContainer || mapping.pathOnHost;
  const devices: OciDevice[] = [];
  const rules: OciDeviceRule[] = [];
  for (const d of found) {
    const rel = path.posix.relative(mapping.pathOnHost, d.path);
    devices.push({ type: d.type, path: rel ? path.posix.join(inContainer, rel) : inContainer, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: d.uid, gid: d.gid });
    rules.push({ allow: true, type: d.type, major: d.major, minor: d.minor, access: permissions });
  }
  return { devices, rules };
}

/** `--device-cgroup-rule 'c 1:3 mr'` (`a|b|c major|*:minor|* rwm`). */
export function parseDeviceCgroupRule(rule: string): OciDeviceRule {
  const m = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.exec(rule.trim());
  if (!m) throw invalid('ERR_DEVICE_CGROUP_RULE', `invalid device cgroup format '${rule}'`);
  const out: OciDeviceRule = { allow: true, type: m[1] as 'a' | 'b' | 'c' };
  if (m[2] !== '*') out.major = Number(m[2]);
  if (m[3] !== '*') out.minor = Number(m[3]);
  out.access = m[4];
  return out;
}

/** Host devices as container nodes at the same paths (`--privileged`). */
export function hostDeviceNodes(devices: readonly HostDevice[]): OciDevice[] {
  return devices.map((d) => ({ type: d.type, path: d.path, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: d.uid, gid: d.gid }));
}
