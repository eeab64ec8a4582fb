/**
 * `docker exec`: exec instances created against a running container, started once (attached or
 * detached), each under its own conmon. The exit code is recorded before the attached stream
 * ends, because the docker CLI inspects the exec the moment its stream closes.
 */
import { randomBytes } from 'node:crypto';
import { conflict, invalid, notFound } from '../core/errors.js';
import { logger } from '../core/log.js';
import type { AttachStream } from '../runtime/attach.js';
import { hostSpecFacts } from '../runtime/facts.js';
import { readFileInRoot, resolveContainerPath } from '../runtime/rootfs-path.js';
import { buildExecProcess } from '../runtime/spec-exec.js';
import { checkWorkingDir } from '../runtime/spec-process.js';
import { resolveUser } from '../runtime/user.js';
import type { ContainerRecord } from './contract.js';
import type { ContainerService } from './service.js';

const log = logger('exec');

/** The body of POST /containers/{id}/exec. */
export interface ExecConfig {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Detach?: boolean;
  DetachKeys?: string;
  Env?: string[] | null;
  WorkingDir?: string;
  Cmd?: string[] | null;
  ConsoleSize?: [number, number] | null;
}

export interface ExecInstance {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  /** null until the process has exited. */
  exitCode: number | null;
  pid: number;
  started: boolean;
  /** The process could not be started (its exit code is then 126, as dockerd records it). */
  failedToStart?: boolean;
}

export class ExecManager {
  private readonly execs = new Map<string, ExecInstance>();

  constructor(private readonly containers: ContainerService) {}

  /** Exec IDs of a container (inspect's ExecIDs). */
  idsOf(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);
  }

  get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw notFound('ERR_EXEC_NOT_FOUND', `No such exec instance: ${id}`);
    return e;
  }

  async create(ref: string, config: ExecConfig): Promise<string> {
    const rec = this.containers.resolve(ref);
    if (rec.state.status === 'paused') throw conflict('ERR_PAUSED', `Container ${rec.id} is paused, unpause the container before exec`);
    if (rec.state.status !== 'running') throw conflict('ERR_NOT_RUNNING', `Container ${rec.id} is not running`);
    if (!config.Cmd || config.Cmd.length === 0) throw invalid('ERR_NO_EXEC_COMMAND', 'No exec command specified');
    if (config.WorkingDir) {
      // Refused here with a 400 the client shows; start checks again (the rootfs may change).
      const rootfs = (await this.containers.runningSpec(rec)).root.path;
      checkWorkingDir(config.WorkingDir, await resolveContainerPath(rootfs, config.WorkingDir));
    }
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, { id, containerId: rec.id, config, running: false, exitCode: null, pid: 0, started: false });
    return id;
  }

  /**
   * Start an exec. With `attach`, returns its stdio stream (ending after the exit code is
   * recorded); detached, returns undefined once the process runs.
   */
  async start(id: string, attach: boolean): Promise<{ stream?: AttachStream; done: Promise<number> }> {
    const e = this.get(id);
    if (e.running) throw conflict('ERR_EXEC_RUNNING', `Error: Exec command ${id} is already running`);
    if (e.started) throw conflict('ERR_EXEC_DONE', `Error: Exec command ${id} has already run`);
    const rec = this.containers.resolve(e.containerId);
    if (rec.state.status !== 'running') throw conflict('ERR_NOT_RUNNING', `Container ${rec.id} is not running`);
    e.started = true;
    try {
      return await this.launch(id, e, rec, attach);
    } catch (err) {
      e.failedToStart = true;
      e.exitCode = 126;
      throw err;
    }
  }

  private async launch(id: string, e: ExecInstance, rec: ContainerRecord, attach: boolean): Promise<{ stream?: AttachStream; done: Promise<number> }> {
    const spec = await this.containers.runningSpec(rec);
    const rootfs = spec.root.path;
    const c = e.config;
    const user = c.User ? resolveUser(c.User, await readFileInRoot(rootfs, '/etc/passwd'), await readFileInRoot(rootfs, '/etc/group')) : undefined;
    const process = buildExecProcess(spec.process, {
      args: c.Cmd ?? [],
      containerEnv: rec.config.Env ?? [],
      env: c.Env ?? [],
      hostname: rec.config.Hostname ?? rec.id.slice(0, 12),
      tty: c.Tty === true,
      ...(c.ConsoleSize && c.ConsoleSize[0] > 0 ? { consoleSize: c.ConsoleSize } : {}),
      // A symlink in the image must not lead exec -w under /proc/<pid>/fd either (CVE-2024-21626).
      ...(c.WorkingDir ? { workingDir: c.WorkingDir, workingDirResolved: await resolveContainerPath(rootfs, c.WorkingDir) } : {}),
      ...(user ? { user } : {}),
      ...(c.Privileged ? { privilegedCapabilities: (await hostSpecFacts()).capabilities } : {}),
    });
    const runtime = await this.containers.runtimeFor(rec);
    const session = await runtime.exec(rec.id, { execId: id, process, attach, stdin: c.AttachStdin === true });
    e.running = true;
    e.pid = session.pid;
    const done = session.exitCode.then(
      (code) => {
        e.exitCode = code;
        e.running = false;
        void runtime.removeExec(rec.id, id).catch(() => undefined);
        return code;
      },
      (err: unknown) => {
        log.warn('exec exit unknown', { id, error: (err as Error).message });
        e.running = false;
        e.exitCode = 126;
        return 126;
      },
    );
    return { ...(session.stream ? { stream: session.stream } : {}), done };
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const e = this.get(id);
    if (!e.running) throw conflict('ERR_EXEC_NOT_RUNNING', `Exec ${id} is not running`);
    const rec = this.containers.resolve(e.containerId);
    await (await this.containers.runtimeFor(rec)).resizeExec(rec.id, id, height, width);
  }

  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    const [entrypoint, ...args] = e.config.Cmd ?? [];
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { tty: e.config.Tty === true, entrypoint, arguments: args, privileged: e.config.Privileged === true, ...(e.config.User ? { user: e.config.User } : {}) },
      OpenStdin: e.config.AttachStdin === true,
      OpenStderr: e.config.AttachStderr === true,
      OpenStdout: e.config.AttachStdout === true,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: e.config.DetachKeys ?? '',
      Pid: e.pid,
    };
  }

  /** Forget the execs of a removed container. */
  forgetContainer(containerId: string): void {
    for (const [id, e] of this.execs) if (e.containerId === containerId) this.execs.delete(id);
  }
}
