/**
 * `--ulimit` → process.rlimits and `--sysctl` checks, with Docker's names and messages. Only
 * namespaced sysctls are allowed (IPC ones, fs.mqueue.*, net.* with the container's own netns).
 */
import { invalid } from '../core/errors.js';
import type { NamespaceMode, IpcMode, Ulimit } from './contract.js';
import type { OciRlimit } from './oci-config.js';

const ULIMIT_NAMES = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];
const RLIM_INFINITY = 2n ** 64n - 1n;

/** The CLI form `nofile=1024[:2048]` (go-units ParseUlimit); -1 means unlimited. */
export function parseUlimit(spec: string): Ulimit {
  const eq = spec.indexOf('=');
  if (eq < 0) throw invalid('ERR_ULIMIT', `invalid ulimit argument: ${spec}`);
  const name = spec.slice(0, eq);
  if (!ULIMIT_NAMES.includes(name)) throw invalid('ERR_ULIMIT', `invalid ulimit type: ${name}`);
  const parts = spec.slice(eq + 1).split(':');
  if (parts.length > 2) throw invalid('ERR_ULIMIT', `too many limit value arguments - ${spec.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const nums = parts.map((p) => {
    if (!/^-?\d+$/.test(p)) throw invalid('ERR_ULIMIT', `invalid ulimit value: ${p}`);
    return Number(p);
  });
  const soft = nums[0];
  const hard = nums.length === 2 ? nums[1] : soft;
  if (soft !== -1 && hard !== -1 && soft > hard) throw invalid('ERR_ULIMIT', `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { name, soft, hard };
}

export function toRlimits(ulimits: readonly Ulimit[]): OciRlimit[] {
  const value = (n: number): number | bigint => (n < 0 ? RLIM_INFINITY : n);
  return ulimits.map((u) => {
    if (!ULIMIT_NAMES.includes(u.name)) throw invalid('ERR_ULIMIT', `invalid ulimit type: ${u.name}`);
    return { type: `RLIMIT_${u.name.toUpperCase()}`, hard: value(u.hard), soft: value(u.soft) };
  });
}

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** Refuse sysctls that are not namespaced, or whose namespace the container shares with the host. */
export function checkSysctls(sysctls: Record<string, string>, network: NamespaceMode, ipc: IpcMode, uts: 'private' | 'host'): void {
  for (const key of Object.keys(sysctls)) {
    if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
      if (ipc === 'host') throw invalid('ERR_SYSCTL', `sysctl '${key}' is not allowed with --ipc=host`);
    } else if (key.startsWith('net.')) {
      if (network === 'host') throw invalid('ERR_SYSCTL', `sysctl '${key}' is not allowed in host network namespace`);
    } else if (key === 'kernel.domainname' || key === 'kernel.hostname') {
      if (uts === 'host') throw invalid('ERR_SYSCTL', `sysctl '${key}' is not allowed with --uts=host`);
    } else {
      throw invalid('ERR_SYSCTL', `sysctl '${key}' is not allowed`);
    }
  }
}
