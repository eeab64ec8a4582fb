/**
 * The pieces of process{} that container and exec share: Docker's environment (PATH default,
 * HOSTNAME, TERM with a tty, then Config.Env replacing or appending) and the working-directory
 * checks, including the CVE-2024-21626 refusal of a cwd under /proc/<pid>/fd.
 */
import * as path from 'node:path';
import { invalid } from '../core/errors.js';
import { DEFAULT_PATH_ENV } from './defaults.js';

/** moby ReplaceOrAppendEnvValues: `K=V` replaces K or appends; a bare `K` removes K. */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out = [...defaults];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')), i));
  const removed = new Set<number>();
  for (const value of overrides) {
    const eq = value.indexOf('=');
    if (eq < 0) {
      const i = index.get(value);
      if (i !== undefined) removed.add(i);
      continue;
    }
    const i = index.get(value.slice(0, eq));
    if (i !== undefined) {
      out[i] = value;
      removed.delete(i);
    } else {
      out.push(value);
    }
  }
  return out.filter((_, i) => !removed.has(i));
}

/** The environment of a container (or exec) process, as moby's CreateDaemonEnvironment builds it. */
export function containerEnv(env: readonly string[], hostname: string, tty: boolean): string[] {
  const base = [DEFAULT_PATH_ENV, `HOSTNAME=${hostname}`];
  if (tty) base.push('TERM=xterm');
  return replaceOrAppendEnv(base, env);
}

/** /proc/<pid>/fd, /proc/self/fd, /proc/thread-self/fd and task variants: a cwd there reaches host fds. */
const PROC_FD = /^\/proc\/(self|thread-self|\d+)(\/task\/\d+)?\/fd(\/|$)/;

/** Check (and normalise) a working directory; `resolved` is where it leads inside the rootfs, if known. */
export function checkWorkingDir(cwd: string | undefined, resolved?: string): string {
  const dir = cwd && cwd.length > 0 ? cwd : '/';
  if (!path.posix.isAbsolute(dir)) {
    throw invalid('ERR_WORKDIR', `the working directory '${dir}' is invalid, it needs to be an absolute path`);
  }
  // filepath.Clean, as Docker stores it.
  const clean = path.posix.normalize(dir).replace(/(.)\/+$/, '$1');
  for (const p of [clean, resolved]) {
    if (p !== undefined && PROC_FD.test(path.posix.normalize(p))) {
      throw invalid('ERR_WORKDIR_UNSAFE', `the working directory '${dir}' is invalid: a directory under /proc/<pid>/fd would expose host file descriptors (CVE-2024-21626)`);
    }
  }
  return clean;
}
