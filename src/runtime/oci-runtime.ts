/**
 * The OCI runtime CLI (runc by default, crun selectable) with berth's state root
 * (`<exec-root>/runtime/<name>`): state, start, kill, delete, pause, resume, update, ps and a
 * one-shot stats. Failures become BerthErrors carrying the runtime's own message, read from its
 * `--log-format json` output.
 *
 * crun 1.8 refuses cgroup v1 "hybrid" hosts (a cgroup2 mount at /sys/fs/cgroup/unified). On such a
 * host every crun call goes through a small script that runs it in a private mount namespace with
 * that mount removed (runtime.md section 0); conmon gets the same script as its runtime.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { BerthError, conflict, internal, invalid, notFound } from '../core/errors.js';
import { ensureDir, writeFileAtomic } from '../core/fsutil.js';
import type { RuntimeName, RuntimeOptions } from './contract.js';
import type { OciResources, OciState } from './oci-config.js';
import { readCgroupStats, type RuntimeStats } from './stats.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program to completion, collecting its output (optionally feeding stdin). */
export function runProgram(file: string, args: readonly string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code: code ?? 128 + (signal ? 9 : 0), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    if (input !== undefined && child.stdin) child.stdin.end(input);
  });
}

/**
 * The error text of a runtime's output: the `msg` of JSON log lines (runc, crun with
 * --log-format=json), of logrus text lines (`level=error msg="..."`), or the raw text.
 */
export function runtimeErrorMessage(output: string): string {
  const messages: string[] = [];
  for (const line of output.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    if (t.startsWith('{')) {
      try {
        const rec = JSON.parse(t) as { msg?: unknown; level?: unknown };
        if (typeof rec.msg === 'string' && (rec.level === undefined || rec.level === 'error' || rec.level === 'fatal')) messages.push(rec.msg);
        continue;
      } catch {
        // not JSON after all: keep the raw line
      }
    }
    const logrus = /level=(?:error|fatal) msg="((?:[^"\\]|\\.)*)"/.exec(t);
    if (logrus) messages.push(logrus[1].replace(/\\(.)/g, '$1'));
    else if (!/level=(debug|info|warning)/.test(t)) messages.push(t);
  }
  return messages.join('; ');
}

const NOT_EXIST = /container does not exist|does not exist|No such file or directory/i;
const NOT_RUNNING = /not running|is not running|container is paused|is not paused/i;

function hybridCgroupHost(): boolean {
  try {
    return readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim().length > 0;
  } catch {
    return existsSync('/sys/fs/cgroup/unified') && !existsSync('/sys/fs/cgroup/cgroup.controllers') && isCgroup2Mount('/sys/fs/cgroup/unified');
  }
}

function isCgroup2Mount(p: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p && l.includes(' - cgroup2 '));
  } catch {
    return false;
  }
}

export function findOnPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']);
  for (const d of dirs) {
    const p = path.join(d, name);
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

export class OciRuntime {
  private constructor(
    readonly name: RuntimeName,
    /** The runtime binary. */
    readonly binary: string,
    /** Its state directory (`--root`). */
    readonly root: string,
    /** What to execute for it: the binary, or the hybrid-cgroup wrapper for crun. */
    readonly entry: string,
  ) {}

  static async open(opts: RuntimeOptions): Promise<OciRuntime> {
    const name = opts.name ?? 'runc';
    if (name !== 'runc' && name !== 'crun') throw invalid('ERR_RUNTIME_UNKNOWN', `unknown runtime: ${String(name)}`);
    const binary = opts.path ?? findOnPath(name);
    if (!binary || !existsSync(binary)) throw new BerthError('unavailable', 'ERR_RUNTIME_MISSING', `OCI runtime ${name} not found`, { hint: `install the Debian package ${name}` });
    const runtimeDir = path.join(opts.execRoot, 'runtime');
    const root = path.join(runtimeDir, name);
    await ensureDir(root, 0o700);
    let entry = binary;
    if (name === 'crun' && hybridCgroupHost()) {
      entry = path.join(runtimeDir, 'crun-hybrid');
      const script = [
        '#!/bin/sh',
        '# berth: crun refuses cgroup v1 hybrid hosts; run it in a private mount namespace without the cgroup2 mount.',
        `exec unshare -m --propagation private /bin/sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$0" "$@"' ${binary} "$@"`,
        '',
      ].join('\n');
      const current = await fsp.readFile(entry, 'utf8').catch(() => '');
      if (current !== script) await writeFileAtomic(entry, script, { mode: 0o755 });
    }
    return new OciRuntime(name, binary, root, entry);
  }

  /** Global flags of every call (and conmon's `--runtime-arg`s). */
  globalArgs(logFile?: string): string[] {
    const args = [`--root=${this.root}`, '--log-format=json'];
    if (logFile) args.push(`--log=${logFile}`);
    return args;
  }

  private async call(args: string[], input?: string): Promise<RunResult> {
    return runProgram(this.entry, [...this.globalArgs(), ...args], input);
  }

  private failure(op: string, id: string, r: RunResult): BerthError {
    const msg = runtimeErrorMessage(r.stderr) || runtimeErrorMessage(r.stdout) || `exit status ${r.code}`;
    if (NOT_EXIST.test(msg)) return notFound('ERR_RUNTIME_NO_CONTAINER', `${this.name} ${op} ${id}: ${msg}`);
    if (NOT_RUNNING.test(msg)) return conflict('ERR_RUNTIME_STATE', `${this.name} ${op} ${id}: ${msg}`);
    return internal('ERR_RUNTIME', `OCI runtime ${op} failed: ${msg}`, { detail: { runtime: this.name, op, id } });
  }

  private async must(op: string, id: string, args: string[], input?: string): Promise<RunResult> {
    const r = await this.call(args, input);
    if (r.code !== 0) throw this.failure(op, id, r);
    return r;
  }

  /**
   * Whether the runtime may know the container: runc and crun keep each container's state in
   * `<root>/<id>/`. Checking for it first spares a process start (a fork of the whole daemon)
   * on the common paths (a fresh create, a removal after the exit was cleaned up).
   */
  private mayKnow(id: string): boolean {
    return existsSync(path.join(this.root, id));
  }

  /** The runtime's state, or undefined when it does not know the container. */
  async state(id: string): Promise<OciState | undefined> {
    if (!this.mayKnow(id)) return undefined;
    const r = await this.call(['state', id]);
    if (r.code !== 0) {
      const e = this.failure('state', id, r);
      if (e.kind === 'not-found') return undefined;
      throw e;
    }
    return JSON.parse(r.stdout) as OciState;
  }

  async start(id: string): Promise<void> {
    await this.must('start', id, ['start', id]);
  }

  /** Send a signal (name like KILL/SIGTERM or number) to the init process, or every process with `all`. */
  async kill(id: string, signal: string | number = 'TERM', all = false): Promise<void> {
    const sig = typeof signal === 'number' ? String(signal) : signal.toUpperCase().replace(/^SIG/, '');
    await this.must('kill', id, ['kill', ...(all ? ['--all'] : []), id, sig]);
  }

  /** Remove the runtime's record (and cgroup) of a stopped container; `force` kills it first. Idempotent. */
  async delete(id: string, force = false): Promise<void> {
    if (!this.mayKnow(id)) return;
    const r = await this.call(['delete', ...(force ? ['--force'] : []), id]);
    if (r.code !== 0) {
      const e = this.failure('delete', id, r);
      if (e.kind !== 'not-found') throw e;
    }
  }

  async pause(id: string): Promise<void> {
    await this.must('pause', id, ['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.must('resume', id, ['resume', id]);
  }

  /** Change memory/cpu/pids/blkio limits of a live container (`docker update`). */
  async update(id: string, resources: Omit<OciResources, 'devices'>): Promise<void> {
    await this.must('update', id, ['update', '--resources', '-', id], JSON.stringify(resources));
  }

  /** Host pids of every process in the container. */
  async ps(id: string): Promise<number[]> {
    const r = await this.must('ps', id, ['ps', '--format', 'json', id]);
    const pids = JSON.parse(r.stdout.trim() || '[]') as unknown;
    return Array.isArray(pids) ? pids.filter((p): p is number => typeof p === 'number') : [];
  }

  /**
   * One sample of the container's cgroup statistics in runc's `events --stats` shape. crun has no
   * `events`, so for it the cgroup files are read directly.
   */
  async stats(id: string, cgroupsPath: string): Promise<RuntimeStats> {
    if (this.name === 'crun') return readCgroupStats(cgroupsPath);
    const r = await this.must('events', id, ['events', '--stats', id]);
    const ev = JSON.parse(r.stdout) as { data?: RuntimeStats };
    return ev.data ?? {};
  }

  async list(): Promise<OciState[]> {
    const r = await this.must('list', '', ['list', '--format', 'json']);
    const list = JSON.parse(r.stdout.trim() || '[]') as OciState[] | null;
    return list ?? [];
  }
}
