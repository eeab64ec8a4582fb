/**
 * Tar-split: keep a layer tar without a second copy of its file data (the idea dockerd's
 * tar-split has; this is berth's own format). While a layer is extracted, everything of the tar
 * stream that is not a regular file's content is recorded verbatim, and each file's content is
 * recorded as "the next N bytes are the content of fs/<path>". The exact original stream (same
 * sha256, so the same diffID) can then be rebuilt from the snapshot and this record.
 *
 * The writer (sync, in the extraction worker) is fed by TarReader's `raw` callback and by the
 * LayerExtractor (file payloads, data it wrote to no file, removals). The reader (async, on the
 * caller's thread) rebuilds the stream; the snapshotter checks the result's diffID.
 *
 * A layer may replace a path it wrote earlier (file over file, directory tree over file, ...):
 * before the extractor removes a file holding a recorded payload, the writer copies that content
 * to the side file `<split>.saved` and remembers where, so the reader serves it from there.
 * File content is never changed in place (every entry at an existing path unlinks it first and
 * creates a fresh inode with O_EXCL; hardlinks carry no payload), so saving on removal is enough.
 *
 * Format (integers big-endian):
 *   "BERTHTS1"                          magic and version
 *   records, each a tag byte then:
 *     'R' u32 n, n bytes                stream bytes that are not file content, verbatim
 *     'I' u32 n, n bytes                file content the extractor kept in no file (inline)
 *     'F' u64 size, u32 n, n bytes      the next `size` bytes are the content of fs/<path>
 *                                       (path: n bytes of UTF-8, relative, real directories)
 *   'E' u64 count, count × (u64 ordinal, u64 offset)
 *                                       end: FILE payload number `ordinal` (0-based) is at
 *                                       `offset` in <split>.saved
 *   u64 offset of 'E', "BERTHTSE"       trailer: where the end record is
 * Consecutive raw (or inline) bytes share one record, cut only where the 1 MiB write buffer
 * fills, so the record does not depend on how the stream was chunked.
 */
import * as fs from 'node:fs';
import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { BerthError, errnoCode, internal } from '../core/errors.js';

const MAGIC = Buffer.from('BERTHTS1');
const END_MAGIC = Buffer.from('BERTHTSE');
const TRAILER = 16;
const RAW = 0x52; // 'R'
const INLINE = 0x49; // 'I'
const FILE = 0x46; // 'F'
const END = 0x45; // 'E'
const BUFFER = 1 << 20;

/** The side file holding payloads saved before their file was replaced. */
export function savedFileOf(splitFile: string): string {
  return `${splitFile}.saved`;
}

function putU64(buf: Buffer, value: number, at: number): void {
  buf.writeUInt32BE(Math.floor(value / 0x100000000), at);
  buf.writeUInt32BE(value >>> 0, at + 4);
}

function getU64(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at) * 0x100000000 + buf.readUInt32BE(at + 4);
}

function writeAll(fd: number, buf: Uint8Array, length: number): void {
  let off = 0;
  while (off < length) off += fs.writeSync(fd, buf, off, length - off);
}

// ---- writer (extraction worker) ------------------------------------------------

export class TarSplitWriter {
  private fd: number;
  private readonly out = Buffer.allocUnsafe(BUFFER);
  private used = 0;
  /** Bytes already written to the file (the file offset of out[0]). */
  private flushed = 0;
  /** The raw or inline record being filled: its tag and where its length field is. */
  private runTag = 0;
  private runAt = 0;
  private files = 0;
  /** Payloads still held by their file: real path → ordinal and size. */
  private readonly kept = new Map<string, { ordinal: number; size: number }>();
  /** Payloads moved to the saved file: [ordinal, offset]. */
  private readonly moved: Array<[number, number]> = [];
  private savedFd = -1;
  private savedSize = 0;
  private scratch: Buffer | undefined;

  /** Creates `splitFile` (it must not exist); `fsRoot` is the directory the extractor writes. */
  constructor(
    private readonly splitFile: string,
    private readonly fsRoot: string,
  ) {
    this.fd = fs.openSync(splitFile, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    this.out.set(MAGIC, 0);
    this.used = MAGIC.length;
  }

  /** Stream bytes that are not file content. */
  raw(bytes: Uint8Array): void {
    this.append(RAW, bytes);
  }

  /** File content the extractor wrote to no file (whiteouts with data, old-style directories). */
  inline(bytes: Uint8Array): void {
    this.append(INLINE, bytes);
  }

  /** The entry just finished put its `size` bytes of content into fs/`path`. */
  file(path: string, size: number): void {
    if (size === 0) return;
    this.closeRun();
    const name = Buffer.from(path, 'utf8');
    const length = 1 + 8 + 4 + name.length;
    if (length > BUFFER) throw internal('ERR_LAYER_WRITE', `path too long for the layer record: ${path}`);
    this.room(length);
    const out = this.out;
    out[this.used] = FILE;
    putU64(out, size, this.used + 1);
    out.writeUInt32BE(name.length, this.used + 9);
    out.set(name, this.used + 13);
    this.used += length;
    this.kept.set(path, { ordinal: this.files++, size });
  }

  /**
   * The extractor is about to unlink fs/`path` (a file or a link; directories are walked by the
   * caller). If it holds a recorded payload, copy that to the saved file first.
   */
  removing(path: string): void {
    const k = this.kept.get(path);
    if (k === undefined) return;
    this.kept.delete(path);
    if (this.savedFd < 0) {
      this.savedFd = fs.openSync(savedFileOf(this.splitFile), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    }
    const scratch = (this.scratch ??= Buffer.allocUnsafe(BUFFER));
    const fd = fs.openSync(`${this.fsRoot}/${path}`, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      let left = k.size;
      while (left > 0) {
        const n = fs.readSync(fd, scratch, 0, Math.min(left, BUFFER), null);
        if (n === 0) throw internal('ERR_LAYER_WRITE', `"${path}" changed while the layer was extracted`);
        writeAll(this.savedFd, scratch, n);
        left -= n;
      }
    } finally {
      fs.closeSync(fd);
    }
    this.moved.push([k.ordinal, this.savedSize]);
    this.savedSize += k.size;
  }

  /** The stream is complete: write the end record and the trailer, close. */
  finish(): void {
    this.closeRun();
    const endAt = this.flushed + this.used;
    this.room(9);
    this.out[this.used] = END;
    putU64(this.out, this.moved.length, this.used + 1);
    this.used += 9;
    for (const [ordinal, offset] of this.moved) {
      this.room(16);
      putU64(this.out, ordinal, this.used);
      putU64(this.out, offset, this.used + 8);
      this.used += 16;
    }
    this.room(TRAILER);
    putU64(this.out, endAt, this.used);
    this.out.set(END_MAGIC, this.used + 8);
    this.used += TRAILER;
    this.flush();
    this.close();
  }

  /** Close what is open after a failure (the caller removes the files). */
  abort(): void {
    try {
      this.close();
    } catch {
      // already failing
    }
  }

  /** Idempotent: a second close must not hit a descriptor number reused meanwhile. */
  private close(): void {
    const { fd, savedFd } = this;
    this.fd = -1;
    this.savedFd = -1;
    try {
      if (savedFd >= 0) fs.closeSync(savedFd);
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }

  private append(tag: number, bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) {
      if (this.runTag !== tag) {
        this.closeRun();
        this.room(6); // tag, length, at least one byte
        this.out[this.used] = tag;
        this.runTag = tag;
        this.runAt = this.used + 1;
        this.used += 5;
      }
      const take = Math.min(bytes.length - off, BUFFER - this.used);
      if (take === 0) {
        this.flush(); // closes the record; the next one continues it
        continue;
      }
      this.out.set(take === bytes.length ? bytes : bytes.subarray(off, off + take), this.used);
      this.used += take;
      off += take;
    }
  }

  private closeRun(): void {
    if (this.runTag === 0) return;
    this.out.writeUInt32BE(this.used - this.runAt - 4, this.runAt);
    this.runTag = 0;
  }

  /** Make room for `n` bytes in the buffer. */
  private room(n: number): void {
    if (BUFFER - this.used < n) this.flush();
  }

  private flush(): void {
    this.closeRun();
    writeAll(this.fd, this.out, this.used);
    this.flushed += this.used;
    this.used = 0;
  }
}

// ---- reader (caller's thread) ----------------------------------------------------

function corrupt(splitFile: string, message: string) {
  return internal('ERR_LAYER_SPLIT_CORRUPT', `cannot rebuild the layer tar from ${splitFile}: ${message}`, {
    hint: "the snapshot's files were changed or damaged after the layer was unpacked; remove the image and import or pull it again",
  });
}

/** A recorded path must be relative and plain: no `..`, no `.`, no empty component. */
function plainPath(path: string): boolean {
  if (path === '' || path.includes('\0')) return false;
  return path.split('/').every((c) => c !== '' && c !== '.' && c !== '..');
}

/** Reads the split file sequentially between two offsets. */
class RecordSource {
  private buf = Buffer.alloc(0);
  private at = 0;

  constructor(
    private readonly fh: FileHandle,
    private pos: number,
    private readonly end: number,
    readonly fail: (m: string) => Error,
  ) {}

  get done(): boolean {
    return this.at === this.buf.length && this.pos === this.end;
  }

  /** Up to `max` bytes (at least one), as a view of a buffer that is never reused. */
  async some(max: number): Promise<Buffer> {
    if (this.at === this.buf.length) {
      const n = Math.min(BUFFER, this.end - this.pos);
      if (n <= 0) throw this.fail('the record ends early');
      const buf = Buffer.allocUnsafe(n);
      const { bytesRead } = await this.fh.read(buf, 0, n, this.pos);
      if (bytesRead !== n) throw this.fail('the record file is shorter than it says');
      this.buf = buf;
      this.at = 0;
      this.pos += n;
    }
    const take = Math.min(max, this.buf.length - this.at);
    this.at += take;
    return this.buf.subarray(this.at - take, this.at);
  }

  /** Exactly `n` bytes (a copy when they straddle two reads). */
  async exactly(n: number): Promise<Buffer> {
    const first = await this.some(n);
    if (first.length === n) return first;
    const parts = [Buffer.from(first)];
    let got = first.length;
    while (got < n) {
      const more = await this.some(n - got);
      parts.push(Buffer.from(more));
      got += more.length;
    }
    return Buffer.concat(parts, n);
  }
}

/** The output side: fills 1 MiB buffers and hands out each when full. */
class Output {
  buf = Buffer.allocUnsafe(BUFFER);
  used = 0;

  get full(): boolean {
    return this.used === BUFFER;
  }

  put(bytes: Uint8Array): number {
    const take = Math.min(bytes.length, BUFFER - this.used);
    this.buf.set(take === bytes.length ? bytes : bytes.subarray(0, take), this.used);
    this.used += take;
    return take;
  }

  take(): Buffer {
    const out = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(BUFFER);
    this.used = 0;
    return out;
  }
}

/** How many payloads are fetched ahead of the one being copied (opens cost a thread hop each). */
const AHEAD = 16;
/** Record bytes queued before payloads (raw runs) that force the queue to drain. */
const QUEUED_BYTES = 4 << 20;
/** Payloads up to this size are read whole while they wait their turn; larger ones are copied. */
const WHOLE = 256 << 10;

/** A payload ready to copy: its bytes, or an open file to copy `size` bytes from at `pos`. */
type Payload = { data: Buffer } | { fh: FileHandle; own: boolean; pos: number; size: number; short: () => Error };
/** One piece of the rebuilt stream, in order: bytes of the record, or a payload being fetched. */
type Step = { bytes: Buffer } | { payload: Promise<Payload> };

/**
 * Rebuild the tar stream recorded in `splitFile` from the files under `fsRoot`. A file that is
 * missing, of another size, not a regular file, or reached through a symlink fails with
 * ERR_LAYER_SPLIT_CORRUPT before any of its bytes are produced. Content changes of the same size
 * are not detected here: the caller checks the digest of the whole stream. Files are opened (and
 * small ones read) a few ahead, so per-file latency overlaps; output comes in 1 MiB buffers.
 */
export async function* readTarSplit(splitFile: string, fsRoot: string): AsyncGenerator<Uint8Array> {
  const fail = (m: string) => corrupt(splitFile, m);
  const root = await realpath(fsRoot);
  let fh: FileHandle;
  try {
    fh = await openRecordFile(splitFile, fail);
  } catch (e) {
    throw e instanceof BerthError ? e : fail(`cannot open it: ${(e as Error).message}`);
  }
  let saved: FileHandle | undefined;
  const queue: Step[] = [];
  try {
    const { size } = await fh.stat();
    const at = async (pos: number, length: number) => {
      const b = Buffer.alloc(length);
      if (pos < 0 || pos + length > size || (await fh.read(b, 0, length, pos)).bytesRead !== length) throw fail('the record file is incomplete');
      return b;
    };
    if (!(await at(0, MAGIC.length)).equals(MAGIC)) throw fail('not a berth tar-split record (or another version)');
    const trailer = await at(size - TRAILER, TRAILER);
    if (!trailer.subarray(8).equals(END_MAGIC)) throw fail('the record file is incomplete');
    const endAt = getU64(trailer, 0);
    const end = await at(endAt, 9);
    const count = getU64(end, 1);
    if (end[0] !== END || endAt < MAGIC.length || endAt + 9 + 16 * count !== size - TRAILER) throw fail('bad end record');
    const index = await at(endAt + 9, 16 * count);
    const moved = new Map<number, number>();
    for (let i = 0; i < count; i++) moved.set(getU64(index, 16 * i), getU64(index, 16 * i + 8));
    if (moved.size > 0) saved = await openRecordFile(savedFileOf(splitFile), fail);

    const out = new Output();
    let payloads = 0;
    let queued = 0;
    const dirs = new DirCheck(root);
    for await (const step of steps(new RecordSource(fh, MAGIC.length, endAt, fail), (path, size, ordinal) => {
      const offset = moved.get(ordinal);
      return fetch(dirs, path, size, offset === undefined ? undefined : { fh: saved as FileHandle, offset }, fail);
    })) {
      queue.push(step);
      if ('payload' in step) payloads++;
      else queued += step.bytes.length;
      while (payloads >= AHEAD || queued > QUEUED_BYTES) {
        const next = queue.shift() as Step;
        if ('payload' in next) payloads--;
        else queued -= next.bytes.length;
        yield* emit(next, out);
      }
    }
    while (queue.length > 0) yield* emit(queue.shift() as Step, out);
    if (out.used > 0) yield out.take();
  } finally {
    // files fetched ahead and never copied (the stream failed or its reader stopped)
    for (const step of queue) if ('payload' in step) await step.payload.then((p) => ('fh' in p && p.own ? p.fh.close() : undefined), () => undefined);
    await saved?.close();
    await fh.close();
  }
}

/** Parse the records into steps, starting the fetch of each payload as soon as it is seen. */
async function* steps(src: RecordSource, fetchPayload: (path: string, size: number, ordinal: number) => Promise<Payload>): AsyncGenerator<Step> {
  let ordinal = 0;
  while (!src.done) {
    const tag = (await src.exactly(1))[0];
    if (tag === RAW || tag === INLINE) {
      for (let left = (await src.exactly(4)).readUInt32BE(0); left > 0; ) {
        const bytes = await src.some(left); // a view of a buffer never reused: safe to queue
        left -= bytes.length;
        yield { bytes };
      }
    } else if (tag === FILE) {
      const fixed = await src.exactly(12);
      const size = getU64(fixed, 0);
      const path = (await src.exactly(fixed.readUInt32BE(8))).toString('utf8');
      const payload = fetchPayload(path, size, ordinal++);
      payload.catch(() => undefined); // its failure is raised when its turn comes, in stream order
      yield { payload };
    } else {
      throw src.fail(`unknown record type ${tag}`);
    }
  }
}

/** Open a payload (from fs/ or, when it was replaced, the saved file); read it whole if small. */
async function fetch(dirs: DirCheck, path: string, size: number, saved: { fh: FileHandle; offset: number } | undefined, fail: (m: string) => Error): Promise<Payload> {
  const short = () => fail(saved ? `the saved content of "${path}" is missing` : `"${path}" became shorter while it was read`);
  if (!saved && !plainPath(path)) throw fail(`refusing the recorded path "${path}"`);
  const fh = saved ? saved.fh : await openPayload(dirs, path, size, fail);
  const pos = saved ? saved.offset : 0;
  if (size > WHOLE) return { fh, own: !saved, pos, size, short };
  try {
    const data = Buffer.allocUnsafe(size);
    for (let got = 0; got < size; ) {
      const { bytesRead } = await fh.read(data, got, size - got, pos + got);
      if (bytesRead === 0) throw short();
      got += bytesRead;
    }
    return { data };
  } finally {
    if (!saved) await fh.close();
  }
}

/** Put one step's bytes into the output, yielding each full buffer. */
async function* emit(step: Step, out: Output): AsyncGenerator<Buffer> {
  if ('bytes' in step) {
    yield* put(step.bytes, out);
    return;
  }
  const p = await step.payload;
  if ('data' in p) {
    yield* put(p.data, out);
    return;
  }
  try {
    for (let left = p.size, pos = p.pos; left > 0; ) {
      const { bytesRead } = await p.fh.read(out.buf, out.used, Math.min(left, BUFFER - out.used), pos);
      if (bytesRead === 0) throw p.short();
      out.used += bytesRead;
      pos += bytesRead;
      left -= bytesRead;
      if (out.full) yield out.take();
    }
  } finally {
    if (p.own) await p.fh.close();
  }
}

function* put(bytes: Buffer, out: Output): Generator<Buffer> {
  for (let off = 0; off < bytes.length; ) {
    off += out.put(bytes.subarray(off));
    if (out.full) yield out.take();
  }
}

/** A record file of the snapshot (layer.split, its .saved): a regular file, opened without following or blocking. */
async function openRecordFile(file: string, fail: (m: string) => Error): Promise<FileHandle> {
  const fh = await open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  if (!(await fh.stat()).isFile()) {
    await fh.close();
    throw fail(`${file} is not a regular file`);
  }
  return fh;
}

/**
 * Directories of the snapshot, checked once each before any file in them is opened: each must
 * resolve to itself under the root, so a directory swapped for a symlink (a tampered snapshot)
 * cannot make the open below touch anything outside, not even a device whose open has effects.
 */
class DirCheck {
  private readonly known = new Map<string, Promise<boolean>>();

  constructor(readonly root: string) {}

  inside(dir: string): Promise<boolean> {
    let p = this.known.get(dir);
    if (p === undefined) {
      const want = dir === '' ? this.root : `${this.root}/${dir}`;
      p = realpath(want).then(
        (real) => real === want,
        () => false,
      );
      this.known.set(dir, p);
    }
    return p;
  }
}

/** Open fs/`path` for reading, refusing anything but the regular file of that size inside root. */
async function openPayload(dirs: DirCheck, path: string, size: number, fail: (m: string) => Error): Promise<FileHandle> {
  const root = dirs.root;
  const slash = path.lastIndexOf('/');
  if (!(await dirs.inside(slash < 0 ? '' : path.slice(0, slash)))) throw fail(`"${path}" leads outside the layer or is missing`);
  let file: FileHandle;
  try {
    // O_NONBLOCK: a fifo put in the file's place must not hang the open
    file = await open(`${root}/${path}`, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ELOOP') throw fail(`"${path}" is now a symbolic link`);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw fail(`"${path}" is missing`);
    throw fail(`cannot open "${path}": ${(e as Error).message}`);
  }
  try {
    const st = await file.stat();
    if (!st.isFile()) throw fail(`"${path}" is no longer a regular file`);
    if (st.size !== size) throw fail(`"${path}" has ${st.size} bytes, the layer recorded ${size}`);
    // a directory on the way may have been swapped for a symlink: the fd must be where we think
    if ((await readlink(`/proc/self/fd/${file.fd}`)) !== `${root}/${path}`) throw fail(`"${path}" leads outside the layer`);
    return file;
  } catch (e) {
    await file.close();
    throw e;
  }
}
