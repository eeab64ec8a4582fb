/**
 * `--security-opt` with Docker's keys: no-new-privileges[=bool], seccomp=unconfined|<profile
 * JSON>, systempaths=unconfined; apparmor= and label= are accepted and have no effect on a host
 * without AppArmor or SELinux.
 */
import { invalid } from '../core/errors.js';

export interface SecurityOptions {
  noNewPrivileges: boolean;
  /** undefined = Docker's default profile. */
  seccomp?: 'unconfined' | { profile: string };
  /** `systempaths=unconfined`: no masked or read-only paths. */
  unmaskSystemPaths: boolean;
}

function parseBool(value: string, opt: string): boolean {
  if (/^(1|t|true)$/i.test(value)) return true;
  if (/^(0|f|false)$/i.test(value)) return false;
  throw invalid('ERR_SECURITY_OPT', `invalid --security-opt 2: "${opt}"`);
}

export function parseSecurityOptions(opts: readonly string[] = []): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, unmaskSystemPaths: false };
  for (const opt of opts) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    const sep = opt.search(/[=:]/);
    if (sep < 0) throw invalid('ERR_SECURITY_OPT', `invalid --security-opt 1: "${opt}"`);
    const key = opt.slice(0, sep);
    const value = opt.slice(sep + 1);
    switch (key) {
      case 'no-new-privileges':
        out.noNewPrivileges = parseBool(value, opt);
        break;
      case 'seccomp':
        out.seccomp = value === 'unconfined' ? 'unconfined' : { profile: value };
        break;
      case 'systempaths':
        if (value !== 'unconfined') throw invalid('ERR_SECURITY_OPT', `invalid --security-opt 2: "${opt}"`);
        out.unmaskSystemPaths = true;
        break;
      case 'apparmor':
      case 'label':
        break;
      default:
        throw invalid('ERR_SECURITY_OPT', `invalid --security-opt 2: "${opt}"`);
    }
  }
  return out;
}
