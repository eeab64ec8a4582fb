/**
 * `docker logs` over conmon's k8s-file logs: the rotated files (`<log>.N` … `<log>.1`) then the
 * live one, records joined into entries, with Docker's tail / since / until. With `follow`, new
 * entries are read as they are written, across rotations (the old file is drained before the new
 * one is opened), until the container has exited (conmon writes and syncs the last output before
 * its exit file, so a final drain then sees everything).
 */
import { watch, type FSWatcher } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { errnoCode } from '../core/errors.js';
import type { LogEntry, LogReadOptions } from './contract.js';
import { EntryAssembler, parseK8sLine, type K8sRecord } from './k8s-log.js';
import { withLogLock } from './log-lock.js';

const CHUNK = 256 * 1024;
const POLL_MS = 1000;

/** An open log file read forward line by line. */
class FileCursor {
  private offset = 0;
  private rest = Buffer.alloc(0);

  private constructor(
    private readonly fh: fsp.FileHandle,
    readonly ino: bigint,
  ) {}

  static async open(file: string): Promise<FileCursor | undefined> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(file, 'r');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return undefined;
      throw e;
    }
    const st = await fh.stat({ bigint: true });
    return new FileCursor(fh, st.ino);
  }

  /** Every complete record written since the last call. */
  async read(): Promise<K8sRecord[]> {
    const out: K8sRecord[] = [];
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await this.fh.read(buf, 0, CHUNK, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      let data = Buffer.concat([this.rest, buf.subarray(0, bytesRead)]);
      let nl: number;
      while ((nl = data.indexOf(0x0a)) >= 0) {
        const rec = parseK8sLine(data.subarray(0, nl));
        if (rec) out.push({ ...rec, content: Buffer.from(rec.content) });
        data = data.subarray(nl + 1);
      }
      this.rest = Buffer.from(data);
    }
    return out;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** The log's files, oldest first. */
export async function logFiles(logPath: string): Promise<string[]> {
  const base = path.basename(logPath);
  const names = await fsp.readdir(path.dirname(logPath)).catch(() => [] as string[]);
  const rotated = names
    .map((n) => (n.startsWith(`${base}.`) ? Number(n.slice(base.length + 1)) : NaN))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => b - a)
    .map((n) => `${logPath}.${n}`);
  return [...rotated, logPath];
}

async function inodeOf(file: string): Promise<bigint | undefined> {
  try {
    return (await fsp.stat(file, { bigint: true })).ino;
  } catch {
    return undefined;
  }
}

/** Resolves on the next change in the log's directory, a poll tick, stop or abort. */
class Waker {
  private watcher?: FSWatcher;
  private wake?: () => void;

  constructor(dir: string, stopped?: Promise<unknown>, signal?: AbortSignal) {
    try {
      this.watcher = watch(dir, { persistent: false }, () => this.wake?.());
      this.watcher.on('error', () => undefined);
    } catch {
      // the poll tick still wakes us
    }
    void stopped?.then(
      () => this.wake?.(),
      () => this.wake?.(),
    );
    signal?.addEventListener('abort', () => this.wake?.());
  }

  wait(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), POLL_MS);
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
  }
}

export async function* readLogs(logPath: string, o: LogReadOptions = {}): AsyncGenerator<LogEntry> {
  const inRange = (e: LogEntry) => (o.sinceNs === undefined || e.timeNs >= o.sinceNs) && (o.untilNs === undefined || e.timeNs <= o.untilNs);
  const pastUntil = (e: LogEntry) => o.untilNs !== undefined && e.timeNs > o.untilNs;
  const assembler = new EntryAssembler();
  const follow = o.follow === true;
  let stopped = false;
  void o.stopped?.then(
    () => (stopped = true),
    () => (stopped = true),
  );

  // History: every file, keeping only the last `tail` entries in memory.
  let history: LogEntry[] = [];
  const keep = (e: LogEntry) => {
    if (o.tail === 0) return;
    history.push(e);
    // Trim in bulk: shifting one entry at a time would make a big tail quadratic.
    if (o.tail !== undefined && history.length >= 2 * o.tail + 1024) history = history.slice(-o.tail);
  };
  // Open every file under the rotation lock; reading them afterwards is immune to renames.
  const cursors = await withLogLock(logPath, async () => {
    const out: [string, FileCursor][] = [];
    for (const file of await logFiles(logPath)) {
      const c = await FileCursor.open(file);
      if (c) out.push([file, c]);
    }
    return out;
  });
  let cursor: FileCursor | undefined;
  for (const [file, c] of cursors) {
    for (const r of await c.read()) {
      const e = assembler.push(r);
      if (e) keep(e);
    }
    if (file === logPath && follow) cursor = c;
    else await c.close();
  }
  if (!follow) for (const e of assembler.flush()) keep(e);
  if (o.tail !== undefined) history = history.slice(-o.tail || history.length);
  const waker = follow ? new Waker(path.dirname(logPath), o.stopped, o.signal) : undefined;
  try {
    for (const e of history) {
      if (pastUntil(e)) return;
      if (inRange(e)) yield e;
    }
    if (!waker) return;
    for (;;) {
      const finalPass = stopped || o.signal?.aborted === true;
      // Rotation is checked before reading: once a new file exists, conmon has reopened and
      // writes no more to the old one, so the read below drains it completely. (Checked after
      // the read, lines written between the read and the reopen were lost.)
      const ino = await inodeOf(logPath);
      const rotated = ino !== undefined && ino !== cursor?.ino;
      if (cursor) {
        for (const r of await cursor.read()) {
          const e = assembler.push(r);
          if (!e) continue;
          if (pastUntil(e)) return;
          if (inRange(e)) yield e;
        }
      }
      if (rotated) {
        await cursor?.close();
        cursor = await FileCursor.open(logPath);
        continue;
      }
      if (finalPass) {
        for (const e of assembler.flush()) if (inRange(e)) yield e;
        return;
      }
      await waker.wait();
    }
  } finally {
    waker?.close();
    await cursor?.close();
  }
}
