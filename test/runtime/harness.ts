/**
 * Real containers for the runtime tests: a busybox rootfs made from the host's static busybox,
 * a private exec-root and cgroup parent per test file, and cleanup of every container, bundle,
 * cgroup and directory when the suite ends.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { AttachStream } from '../../src/runtime/attach.js';
import type { AttachFrame, CreateOptions, ExitInfo, RuntimeName, SpecOptions } from '../../src/runtime/contract.js';
import { gatherSpecFacts } from '../../src/runtime/facts.js';
import type { OciSpec } from '../../src/runtime/oci-config.js';
import { buildSpec } from '../../src/runtime/spec.js';
import { ContainerRuntime } from '../../src/runtime/supervisor.js';

const BUSYBOX = '/usr/bin/busybox';
let applets: string[] | undefined;

/** A minimal image: busybox with its applets in /bin, root/nobody/alice in /etc/passwd. */
export async function busyboxRootfs(dir: string): Promise<string> {
  applets ??= execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'home/alice']) await mkdir(join(dir, d), { recursive: true });
  await link(BUSYBOX, join(dir, 'bin/busybox'));
  await Promise.all(applets.map((a) => symlink('busybox', join(dir, 'bin', a))));
  await writeFile(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n');
  await writeFile(join(dir, 'etc/group'), 'root:x:0:\nstaff:x:50:alice\nalice:x:1000:\nnogroup:x:65534:\n');
  return dir;
}

export interface ContainerUnderTest {
  id: string;
  spec: OciSpec;
  logPath: string;
  rootfs: string;
  pid: number;
  conmonPid: number;
}

export interface RunResult {
  exit: ExitInfo;
  stdout: string;
  stderr: string;
  frames: AttachFrame[];
}

export interface Harness {
  rt: ContainerRuntime;
  execRoot: string;
  cgroupParent: string;
  /** Build a bundle from busybox + options and create the container under conmon (not started). */
  create(o?: Partial<SpecOptions>, c?: Partial<Omit<CreateOptions, 'id' | 'spec' | 'logPath'>>): Promise<ContainerUnderTest>;
  /** Create, attach, start and wait for the exit, collecting the attached output. */
  run(o?: Partial<SpecOptions>, c?: Partial<Omit<CreateOptions, 'id' | 'spec' | 'logPath'>>): Promise<RunResult & ContainerUnderTest>;
  close(): Promise<void>;
}

export interface Recording {
  /** Everything once the stream has ended. */
  done: Promise<{ stdout: string; stderr: string; frames: AttachFrame[] }>;
  /** Resolves once the stdout seen so far (from the very first frame) contains `text`. */
  waitFor(text: string): Promise<void>;
}

/**
 * Poke (e.g. send a newline to a shell loop that prints its tty size) until `text` shows up on
 * stdout: for effects conmon applies asynchronously, like a resize. Bounded: 50 pokes, 100 ms apart.
 */
export async function pokeUntil(out: Recording, text: string, poke: () => Promise<void>): Promise<void> {
  const shown = out.waitFor(text);
  let seen = false;
  void shown.then(
    () => (seen = true),
    () => undefined,
  );
  for (let i = 0; i < 50 && !seen; i++) {
    await poke();
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!seen) throw new Error(`"${text}" never showed up on stdout`);
}

/** Record an attach stream from its first frame (start it before anything can be printed). */
export function record(stream: AttachStream): Recording {
  const frames: AttachFrame[] = [];
  const waiters: { text: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const text = (s: string) => frames.filter((f) => f.stream === s).map((f) => f.data.toString()).join('');
  const check = () => {
    const out = text('stdout');
    for (const w of waiters.filter((w) => out.includes(w.text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  stream.on('data', (f: AttachFrame) => {
    frames.push(f);
    check();
  });
  const done = new Promise<{ stdout: string; stderr: string; frames: AttachFrame[] }>((resolve) => {
    stream.on('end', () => {
      for (const w of waiters.splice(0)) w.reject(new Error(`stream ended before ${JSON.stringify(w.text)}; got ${JSON.stringify(text('stdout'))}`));
      resolve({ stdout: text('stdout'), stderr: text('stderr'), frames });
    });
  });
  return {
    done,
    waitFor: (t: string) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ text: t, resolve, reject });
        check();
      }),
  };
}

/** Collect an attach stream's frames until it ends. */
export function collect(stream: AttachStream): Promise<{ stdout: string; stderr: string; frames: AttachFrame[] }> {
  return record(stream).done;
}

export function newId(): string {
  return randomBytes(32).toString('hex');
}

/** Remove a cgroup directory from every v1 hierarchy (and the unified one). */
export async function removeCgroup(rel: string): Promise<void> {
  const hierarchies = await readdir('/sys/fs/cgroup').catch(() => [] as string[]);
  for (const h of hierarchies) {
    const dir = join('/sys/fs/cgroup', h, rel);
    if (existsSync(dir)) await rmdir(dir).catch(() => undefined);
  }
}

export async function harness(name: RuntimeName = 'runc'): Promise<Harness> {
  const execRoot = await mkdtemp(join(tmpdir(), 'brt-'));
  const work = await mkdtemp(join(tmpdir(), 'berth-rt-work-'));
  const cgroupParent = `/berth-rt-test-${process.pid}-${name}`;
  const rt = await ContainerRuntime.open({ execRoot, name, exitPollMs: 500 });
  const ids: string[] = [];

  const create: Harness['create'] = async (o = {}, c = {}) => {
    const id = newId();
    ids.push(id);
    const rootfs = await busyboxRootfs(join(work, id.slice(0, 12)));
    const opts: SpecOptions = { id, rootfs, args: ['true'], cgroupParent, ...o };
    const spec = buildSpec(opts, await gatherSpecFacts(opts));
    const logPath = join(work, 'logs', `${id}.log`);
    const created = await rt.create({ id, spec, logPath, ...c });
    return { id, spec, logPath, rootfs, ...created };
  };

  return {
    rt,
    execRoot,
    cgroupParent,
    create,
    async run(o = {}, c = {}) {
      const ctr = await create(o, c);
      const out = collect(rt.attach(ctr.id));
      await rt.start(ctr.id);
      const exit = await rt.waitExit(ctr.id);
      return { ...ctr, exit, ...(await out) };
    },
    async close() {
      for (const id of ids) await rt.remove(id).catch(() => undefined);
      rt.close();
      await removeCgroup(cgroupParent);
      await rm(execRoot, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** The `Name:\tvalue` lines of a /proc/<pid>/status dump. */
export function statusFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}
