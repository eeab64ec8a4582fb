/**
 * Linux capabilities with Docker's rules: the 14 defaults, `--cap-add/--cap-drop` (ALL, with or
 * without the CAP_ prefix, any case), `--privileged` = every capability the host can grant.
 */
import { invalid } from '../core/errors.js';

/** Every capability by number (index = capability number, as in linux/capability.h). */
export const KNOWN_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** Docker's default set, in Docker's order (moby oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const ALL = 'ALL';
const known: ReadonlySet<string> = new Set(KNOWN_CAPABILITIES);

/** Upper-case, add CAP_, check the name exists, drop duplicates; `ALL` passes through. */
export function normalizeCapabilities(caps: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of caps) {
    let c = raw.trim().toUpperCase();
    if (c !== ALL && !c.startsWith('CAP_')) c = `CAP_${c}`;
    if (c !== ALL && !known.has(c)) throw invalid('ERR_UNKNOWN_CAPABILITY', `unknown capability: "${c}"`);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

/**
 * The final capability list (moby TweakCapabilities): privileged → all; `--cap-add ALL` → all
 * but the dropped; `--cap-drop ALL` → only the added; otherwise defaults − drops + adds.
 * `all` is what the host can grant (see SpecFacts.capabilities).
 */
export function tweakCapabilities(
  basics: readonly string[],
  adds: readonly string[],
  drops: readonly string[],
  privileged: boolean,
  all: readonly string[],
): string[] {
  if (privileged) return [...all];
  if (adds.length === 0 && drops.length === 0) return [...basics];
  const capAdd = normalizeCapabilities(adds);
  const capDrop = normalizeCapabilities(drops);
  if (capAdd.includes(ALL)) return all.filter((c) => !capDrop.includes(c));
  if (capDrop.includes(ALL)) return capAdd;
  const caps = basics.filter((c) => !capDrop.includes(c));
  for (const c of capAdd) if (!caps.includes(c)) caps.push(c);
  return caps;
}

/** The kernel's bit mask of a capability list (as /proc/<pid>/status prints it, in hex). */
export function capabilityMask(caps: readonly string[]): bigint {
  let mask = 0n;
  for (const c of caps) {
    const bit = (KNOWN_CAPABILITIES as readonly string[]).indexOf(c);
    if (bit >= 0) mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** The capabilities named by a mask (e.g. CapBnd of /proc/self/status), up to the kernel's last one. */
export function capabilitiesFromMask(mask: bigint, lastCap = KNOWN_CAPABILITIES.length - 1): string[] {
  return KNOWN_CAPABILITIES.filter((_, bit) => bit <= lastCap && (mask & (1n << BigInt(bit))) !== 0n);
}
