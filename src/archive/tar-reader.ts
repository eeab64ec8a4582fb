/**
 * A synchronous, push-driven tar parser: feed it chunks, it calls the sink for each entry, its
 * data and its end. No promises per entry, no copies of file data (the sink gets views into the
 * pushed chunks), so the extractor can run at disk speed. Pax and GNU long-name records are
 * applied here; the sink only sees finished entries.
 *
 * Every byte the sink does not get as data (header blocks, pax/GNU records, padding, zero
 * blocks, whatever follows the end) can go to an optional `raw` callback, in stream order, a
 * header block always before its `entry()`: raw + data is the whole stream, which is what a
 * tar-split record (tar-split.ts) needs to rebuild it byte for byte.
 *
 * End of stream: two zero blocks end the archive and whatever follows is ignored. A stream that
 * simply stops after the last entry's data (padded or not), or after one zero block, is accepted
 * too, as Docker and Go's archive/tar accept it; a stream that stops inside a header or inside
 * an entry's data is ERR_LAYER_TRUNCATED.
 */
import { invalid } from '../core/errors.js';
import { BLOCK, TYPE_FLAGS, corrupt, decodeHeader, isZeroBlock, padding, parsePax, type TarEntry } from './tar-header.js';

export interface TarSink {
  entry(entry: TarEntry): void;
  /** A piece of the current entry's data; the view is only valid during the call. */
  data(chunk: Uint8Array): void;
  /** The current entry's data is complete. */
  entryEnd(): void;
}

export interface TarReaderOptions {
  /** Largest pax or GNU long-name record accepted, in bytes. */
  maxMetaSize: number;
  /**
   * Receives, in stream order, every byte that does not go to `sink.data`; the view is only
   * valid during the call. Unset: no cost.
   */
  raw?: (bytes: Uint8Array) => void;
}

type State = 'header' | 'data' | 'padding' | 'meta' | 'zero' | 'end';

export function truncated(offset: number, what: string) {
  return invalid('ERR_LAYER_TRUNCATED', `truncated tar archive: the stream ends ${what} (byte ${offset})`, {
    hint: 'the layer file is incomplete; download or export it again',
  });
}

/** Headers whose type carries no data, whatever their size field says (as Go's archive/tar). */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

export class TarReader {
  private state: State = 'header';
  /** Stream offset of the next byte to be consumed. */
  private pos = 0;
  /** Partial header block carried over between chunks. */
  private readonly pending = Buffer.alloc(BLOCK);
  private pendingLength = 0;
  private remaining = 0;
  /** Padding after the current data or extended-header record. */
  private padAfter = 0;
  private entryOffset = 0;
  // meta record being collected (pax 'x'/'g', GNU 'L'/'K')
  private metaType = '';
  private metaChunks: Buffer[] = [];
  private metaRemaining = 0;
  // records that apply to the next entry
  private pax: Map<string, Buffer> | undefined;
  private longName: Buffer | undefined;
  private longLink: Buffer | undefined;

  private readonly raw: ((bytes: Uint8Array) => void) | undefined;

  constructor(
    private readonly sink: TarSink,
    private readonly limits: TarReaderOptions = { maxMetaSize: 1 << 20 },
  ) {
    this.raw = limits.raw;
  }

  /** True once the two end-of-archive blocks were seen. */
  get ended(): boolean {
    return this.state === 'end';
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case 'end':
          this.raw?.(chunk.subarray(i));
          this.pos += n - i;
          return;
        case 'data': {
          const take = Math.min(this.remaining, n - i);
          this.sink.data(chunk.subarray(i, i + take));
          i += take;
          this.pos += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            this.sink.entryEnd();
            this.state = this.padAfter > 0 ? 'padding' : 'header';
            this.remaining = this.padAfter;
          }
          break;
        }
        case 'padding': {
          const take = Math.min(this.remaining, n - i);
          this.raw?.(chunk.subarray(i, i + take));
          i += take;
          this.pos += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = 'header';
          break;
        }
        case 'meta': {
          const take = Math.min(this.metaRemaining, n - i);
          this.raw?.(chunk.subarray(i, i + take));
          if (take > 0) this.metaChunks.push(Buffer.from(chunk.subarray(i, i + take)));
          i += take;
          this.pos += take;
          this.metaRemaining -= take;
          if (this.metaRemaining === 0) {
            this.finishMeta();
            this.remaining = this.padAfter;
            this.state = this.remaining > 0 ? 'padding' : 'header';
          }
          break;
        }
        case 'header':
        case 'zero': {
          // Fast path: a whole block in this chunk, nothing pending.
          if (this.pendingLength === 0 && n - i >= BLOCK) {
            this.raw?.(chunk.subarray(i, i + BLOCK));
            this.block(chunk, i);
            i += BLOCK;
            this.pos += BLOCK;
          } else {
            const take = Math.min(BLOCK - this.pendingLength, n - i);
            this.raw?.(chunk.subarray(i, i + take)); // before the block is complete, so before entry()
            this.pending.set(chunk.subarray(i, i + take), this.pendingLength);
            this.pendingLength += take;
            i += take;
            this.pos += take;
            if (this.pendingLength === BLOCK) {
              this.pendingLength = 0;
              this.block(this.pending, 0);
            }
          }
          break;
        }
      }
    }
  }

  /** The stream is over: accept a clean or tolerated ending, refuse a truncated one. */
  end(): void {
    switch (this.state) {
      case 'end':
      case 'zero':
        return;
      case 'padding':
        return; // data complete, padding cut: tolerated
      case 'header':
        if (this.pendingLength > 0) throw truncated(this.pos, 'inside a header');
        if (this.pax || this.longName || this.longLink) throw truncated(this.pos, 'after an extended header');
        return;
      case 'data':
        throw truncated(this.pos, `inside an entry's data, ${this.remaining} bytes short`);
      case 'meta':
        throw truncated(this.pos, 'inside an extended header');
    }
  }

  private block(buf: Uint8Array, start: number): void {
    const offset = this.pos;
    if (isZeroBlock(buf, start)) {
      if (this.state === 'zero') this.state = 'end';
      else this.state = 'zero';
      return;
    }
    if (this.state === 'zero') throw corrupt(offset, 'data after an end-of-archive block');
    const h = decodeHeader(buf, start, offset);
    const flag = h.typeflag;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (h.size > this.limits.maxMetaSize) {
        throw invalid('ERR_LAYER_LIMIT', `tar extended header of ${h.size} bytes exceeds the limit of ${this.limits.maxMetaSize} (byte ${offset})`);
      }
      this.metaType = flag;
      this.metaChunks = [];
      this.metaRemaining = h.size;
      this.padAfter = padding(h.size);
      this.entryOffset = offset;
      if (h.size === 0) {
        this.finishMeta();
        this.remaining = 0;
        this.state = 'header';
      } else {
        this.state = 'meta';
      }
      return;
    }
    const type = TYPE_FLAGS[flag];
    if (type === undefined) {
      const what = flag === 'S' ? 'GNU sparse file' : flag === 'V' ? 'volume label' : flag === 'M' ? 'multi-volume continuation' : `type '${printable(flag)}'`;
      throw invalid('ERR_LAYER_UNSUPPORTED_ENTRY', `unsupported tar entry (${what}) at byte ${offset}`, {
        hint: 'layers may only hold files, directories, links, devices and fifos',
      });
    }
    const pax = this.pax;
    let name = this.longName ?? h.name;
    let linkname = this.longLink ?? h.linkname;
    let size = h.size;
    let uid = h.uid;
    let gid = h.gid;
    let mtime = h.mtime;
    let atime: number | undefined;
    let xattrs: Map<string, Buffer> | undefined;
    if (pax) {
      for (const [key, value] of pax) {
        switch (key) {
          case 'path':
            name = value;
            break;
          case 'linkpath':
            linkname = value;
            break;
          case 'size':
            size = paxInt(value, offset, key);
            break;
          case 'uid':
            uid = paxInt(value, offset, key);
            break;
          case 'gid':
            gid = paxInt(value, offset, key);
            break;
          case 'mtime':
            mtime = paxTime(value, offset, key);
            break;
          case 'atime':
            atime = paxTime(value, offset, key);
            break;
          default:
            if (key.startsWith('SCHILY.xattr.')) {
              (xattrs ??= new Map()).set(key.slice('SCHILY.xattr.'.length), value);
            } else if (key.startsWith('GNU.sparse.')) {
              throw invalid('ERR_LAYER_UNSUPPORTED_ENTRY', `unsupported tar entry (pax sparse file) at byte ${offset}`);
            }
        }
      }
    }
    this.pax = undefined;
    this.longName = undefined;
    this.longLink = undefined;
    const dataSize = HEADER_ONLY.has(flag) ? 0 : size;
    const nameText = decodeName(name, offset, 'name');
    // Old tars mark directories with a trailing slash on a regular-file entry.
    const effType = type === 'file' && nameText.endsWith('/') ? 'dir' : type;
    this.sink.entry({
      type: effType,
      name: nameText,
      linkname: decodeName(linkname, offset, 'link target'),
      mode: h.mode & 0o7777,
      uid,
      gid,
      size: effType === 'file' ? dataSize : 0,
      mtime,
      atime,
      devmajor: h.devmajor,
      devminor: h.devminor,
      xattrs,
      offset,
    });
    this.remaining = dataSize;
    this.padAfter = padding(dataSize);
    if (dataSize === 0) {
      this.sink.entryEnd();
      this.state = 'header';
    } else {
      this.state = 'data';
    }
  }

  private finishMeta(): void {
    const data = Buffer.concat(this.metaChunks);
    this.metaChunks = [];
    switch (this.metaType) {
      case 'x':
        this.pax = parsePax(data, this.entryOffset);
        break;
      case 'g':
        parsePax(data, this.entryOffset); // validated, then ignored as Docker does
        break;
      case 'L':
        this.longName = stripTrailingNuls(data);
        break;
      case 'K':
        this.longLink = stripTrailingNuls(data);
        break;
    }
  }
}

function stripTrailingNuls(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.subarray(0, end);
}

function printable(c: string): string {
  const code = c.charCodeAt(0);
  return code >= 0x20 && code < 0x7f ? c : `\\x${code.toString(16).padStart(2, '0')}`;
}

function paxInt(value: Buffer, offset: number, key: string): number {
  const text = value.toString('latin1');
  if (!/^[0-9]{1,16}$/.test(text)) throw corrupt(offset, `invalid pax ${key} "${text.slice(0, 40)}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw corrupt(offset, `pax ${key} too large`);
  return n;
}

function paxTime(value: Buffer, offset: number, key: string): number {
  const text = value.toString('latin1');
  if (!/^-?[0-9]{1,19}(\.[0-9]{0,18})?$/.test(text)) throw corrupt(offset, `invalid pax ${key} "${text.slice(0, 40)}"`);
  return Number(text);
}

/**
 * Names are UTF-8 (pax requires it; every real image uses it). A NUL inside a name (possible in
 * pax and GNU long-name records) or bytes that are not UTF-8 are refused rather than guessed at.
 */
function decodeName(bytes: Buffer, offset: number, what: string): string {
  if (bytes.includes(0)) {
    throw invalid('ERR_LAYER_BAD_NAME', `tar entry ${what} contains a NUL byte (header at byte ${offset})`);
  }
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(bytes)) {
    throw invalid('ERR_LAYER_BAD_NAME', `tar entry ${what} is not valid UTF-8 (header at byte ${offset})`);
  }
  return text;
}
