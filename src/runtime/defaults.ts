/**
 * Docker's default container profile as constants (runtime.md 1.1–1.5): masked and read-only
 * paths, the devices-cgroup rules, the default PATH and /dev/shm size.
 */
import type { OciDeviceRule } from './oci-config.js';

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

export const DEFAULT_CGROUP_PARENT = '/berth';

/** Where `--init` puts tini inside the container (Docker's name, so scripts that look for it work). */
export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';

/** moby HEAD's list; the runtime skips the ones this kernel lacks. Thermal paths are added per host. */
export const MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const rule = (type: 'c' | 'b', major: number | undefined, minor: number | undefined, access: string, allow = true): OciDeviceRule => {
  const r: OciDeviceRule = { allow, type };
  if (major !== undefined) r.major = major;
  if (minor !== undefined) r.minor = minor;
  r.access = access;
  return r;
};

/**
 * The effective devices-cgroup list of a Docker container, written out in full so runc and crun
 * behave alike: Docker's own rules (deny all; zero, null, urandom, random, tty, console; fuse
 * denied), then what runc adds by itself (mknod of anything; full, ptmx, pts, tun).
 */
export const DEFAULT_DEVICE_RULES: readonly OciDeviceRule[] = [
  { allow: false, access: 'rwm' },
  rule('c', 1, 5, 'rwm'),
  rule('c', 1, 3, 'rwm'),
  rule('c', 1, 9, 'rwm'),
  rule('c', 1, 8, 'rwm'),
  rule('c', 5, 0, 'rwm'),
  rule('c', 5, 1, 'rwm'),
  rule('c', 10, 229, 'rwm', false),
  rule('c', undefined, undefined, 'm'),
  rule('b', undefined, undefined, 'm'),
  rule('c', 1, 7, 'rwm'),
  rule('c', 5, 2, 'rwm'),
  rule('c', 136, undefined, 'rwm'),
  rule('c', 10, 200, 'rwm'),
];

/** Docker's per-netns sysctls (only with the container's own network namespace). */
export const DEFAULT_NET_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.ip_unprivileged_port_start': '0',
  'net.ipv4.ping_group_range': '0 2147483647',
};
