/**
 * What a restarted berthd can learn about a container from the exec-root alone: whether its
 * conmon still runs (conmon.pid, and /proc/<pid>/cmdline naming conmon with `-c <id>`, so a
 * recycled pid is not mistaken for it), what the runtime says, and the recorded exit status.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { ContainerPaths, RecoveredContainer } from './contract.js';
import { readExitFile } from './exits.js';
import type { OciRuntime } from './oci-runtime.js';

/** The pid of the conmon supervising `id` (per its pid file), if that process still is that conmon. */
export async function liveConmonPid(conmonPidFile: string, id: string): Promise<number | undefined> {
  const pid = Number.parseInt(await fsp.readFile(conmonPidFile, 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const cmdline = await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const argv = cmdline.split('\0');
  if (path.basename(argv[0] ?? '') !== 'conmon') return undefined;
  for (let i = 0; i < argv.length - 1; i++) {
    if ((argv[i] === '-c' || argv[i] === '--cid') && argv[i + 1] === id) return pid;
  }
  return undefined;
}

export async function recoverContainer(runtime: OciRuntime, paths: ContainerPaths, id: string): Promise<RecoveredContainer> {
  const [conmonPid, state, exitFromDir] = await Promise.all([
    liveConmonPid(paths.conmonPidFile, id),
    runtime.state(id),
    readExitFile(paths.exitDirFile, paths.oomFile),
  ]);
  const exit = exitFromDir ?? (await readExitFile(paths.exitFile, paths.oomFile));
  const out: RecoveredContainer = { id, conmonAlive: conmonPid !== undefined };
  if (conmonPid !== undefined) out.conmonPid = conmonPid;
  if (state) out.state = state;
  if (exit) out.exit = exit;
  return out;
}
