/**
 * The process.json of `docker exec`, as moby builds it: the container's own process with args,
 * env, cwd and terminal replaced, the user replaced when `-u` is given, and every capability the
 * host can grant with `--privileged`.
 */
import type { OciProcess, OciUser } from './oci-config.js';
import { capabilitySets } from './spec.js';
import { checkWorkingDir, containerEnv, replaceOrAppendEnv } from './spec-process.js';

export interface ExecProcessOptions {
  /** The exec's command (Docker: Entrypoint + Args of the exec config). */
  args: string[];
  /** The container's Config.Env. */
  containerEnv: readonly string[];
  /** `exec -e`. */
  env?: readonly string[];
  hostname: string;
  tty?: boolean;
  consoleSize?: [number, number];
  /** `exec -w`; default the container's working directory. */
  workingDir?: string;
  /** Where `workingDir` leads inside the rootfs, symlinks followed (checked like a run's). */
  workingDirResolved?: string;
  /** `exec -u`, already resolved (see resolveUser). */
  user?: OciUser;
  /** `exec --privileged`: the host's grantable capabilities (SpecFacts.capabilities). */
  privilegedCapabilities?: string[];
}

export function buildExecProcess(container: OciProcess, o: ExecProcessOptions): OciProcess {
  const tty = o.tty === true;
  const p: OciProcess = structuredClone(container);
  p.args = [...o.args];
  p.env = replaceOrAppendEnv(containerEnv(o.containerEnv, o.hostname, tty), o.env ?? []);
  p.cwd = o.workingDir ? checkWorkingDir(o.workingDir, o.workingDirResolved) : container.cwd;
  p.terminal = tty;
  if (tty) p.consoleSize = { height: o.consoleSize?.[0] ?? 0, width: o.consoleSize?.[1] ?? 0 };
  else delete p.consoleSize;
  if (o.user) p.user = o.user;
  if (o.privilegedCapabilities) p.capabilities = capabilitySets(o.privilegedCapabilities, 0);
  return p;
}
