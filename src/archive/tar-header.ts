/**
 * The tar header format (POSIX ustar, pax extended records, GNU long names and base-256
 * numbers), decoded and encoded. Shared by the layer reader and the layer writer so both agree
 * on every field.
 */
import { invalid } from '../core/errors.js';

export const BLOCK = 512;

/** Entry kinds berth accepts in a layer (runtime.md 4.2 rule 6); anything else is refused. */
export type EntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** A fully resolved entry: pax and GNU long-name records already applied. */
export interface TarEntry {
  type: EntryType;
  /** The name exactly as the archive gives it (not yet cleaned). */
  name: string;
  /** Hardlink or symlink target, as the archive gives it. */
  linkname: string;
  /** Permission bits including setuid/setgid/sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of data following the header (0 for every type but file). */
  size: number;
  /** Seconds since the epoch, possibly fractional (pax). */
  mtime: number;
  atime?: number;
  devmajor: number;
  devminor: number;
  /** Extended attributes from pax `SCHILY.xattr.*` records. */
  xattrs?: Map<string, Buffer>;
  /** Byte offset of the entry's header in the stream (for error messages). */
  offset: number;
}

/** Type flags → entry type. Pax ('x','g') and GNU ('L','K') records are handled by the reader. */
export const TYPE_FLAGS: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere but on ancient systems
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};

export const FLAG_OF: Record<EntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

export function corrupt(offset: number, what: string) {
  return invalid('ERR_LAYER_CORRUPT', `corrupt tar archive: ${what} (header at byte ${offset})`, {
    hint: 'the layer is not a valid tar stream; check the file and its compression',
  });
}

/** The raw fields of one 512-byte header block. */
export interface RawHeader {
  name: Buffer;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: Buffer;
  devmajor: number;
  devminor: number;
}

/** A NUL-terminated field (ustar fields are C strings padded with NULs). */
function cString(block: Uint8Array, start: number, length: number): Buffer {
  const end = start + length;
  let i = start;
  while (i < end && block[i] !== 0) i++;
  return Buffer.from(block.buffer, block.byteOffset + start, i - start);
}

/**
 * A numeric field: octal ASCII (spaces and NULs around it) or GNU base-256 when the first byte
 * has its high bit set. Negative base-256 values are refused (no valid size, id or time is).
 */
export function parseNumber(block: Uint8Array, start: number, length: number, offset: number, field: string): number {
  const first = block[start];
  if (first & 0x80) {
    if (first === 0xff) throw corrupt(offset, `negative ${field}`);
    let value = first & 0x7f;
    for (let i = start + 1; i < start + length; i++) {
      value = value * 256 + block[i];
      if (value > Number.MAX_SAFE_INTEGER) throw corrupt(offset, `${field} too large`);
    }
    return value;
  }
  let value = 0;
  let i = start;
  const end = start + length;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let digits = 0;
  for (; i < end; i++) {
    const c = block[i];
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) throw corrupt(offset, `invalid ${field} field`);
    value = value * 8 + (c - 0x30);
    digits++;
  }
  for (; i < end; i++) {
    if (block[i] !== 0x20 && block[i] !== 0) throw corrupt(offset, `invalid ${field} field`);
  }
  if (digits === 0 && field === 'checksum') throw corrupt(offset, 'empty checksum');
  return value;
}

/** True when the block holds only zero bytes (an end-of-archive marker). */
export function isZeroBlock(block: Uint8Array, start: number): boolean {
  for (let i = start; i < start + BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Verify the header checksum: unsigned sum as POSIX says, signed sum as old tars wrote it. */
function checksumOk(block: Uint8Array, start: number, offset: number): boolean {
  const stored = parseNumber(block, start + 148, 8, offset, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[start + i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

const USTAR = Buffer.from('ustar\x0000', 'latin1');

/** Decode one header block; throws ERR_LAYER_CORRUPT on a bad checksum or field. */
export function decodeHeader(block: Uint8Array, start: number, offset: number): RawHeader {
  if (!checksumOk(block, start, offset)) throw corrupt(offset, 'header checksum mismatch');
  let name = cString(block, start, 100);
  // POSIX ustar splits long names into prefix/name; GNU tar uses those bytes for other fields.
  const isUstar = Buffer.compare(Buffer.from(block.buffer, block.byteOffset + start + 257, 8), USTAR) === 0;
  if (isUstar) {
    const prefix = cString(block, start + 345, 155);
    if (prefix.length > 0) name = Buffer.concat([prefix, Buffer.from('/'), name]);
  }
  return {
    name,
    mode: parseNumber(block, start + 100, 8, offset, 'mode'),
    uid: parseNumber(block, start + 108, 8, offset, 'uid'),
    gid: parseNumber(block, start + 116, 8, offset, 'gid'),
    size: parseNumber(block, start + 124, 12, offset, 'size'),
    mtime: parseNumber(block, start + 136, 12, offset, 'mtime'),
    typeflag: String.fromCharCode(block[start + 156]),
    linkname: cString(block, start + 157, 100),
    devmajor: parseNumber(block, start + 329, 8, offset, 'devmajor'),
    devminor: parseNumber(block, start + 337, 8, offset, 'devminor'),
  };
}

/** Pax extended header records (`"<len> <key>=<value>\n"`), values kept as bytes. */
export function parsePax(data: Buffer, offset: number): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break; // some writers pad the record block with NULs
    const space = data.indexOf(0x20, i);
    if (space < 0) throw corrupt(offset, 'malformed pax record');
    const lenText = data.toString('latin1', i, space);
    const len = /^[1-9][0-9]*$/.test(lenText) ? Number(lenText) : NaN;
    if (!Number.isSafeInteger(len) || i + len > data.length || data[i + len - 1] !== 0x0a) {
      throw corrupt(offset, 'malformed pax record length');
    }
    const eq = data.indexOf(0x3d, space + 1);
    if (eq < 0 || eq >= i + len - 1) throw corrupt(offset, 'malformed pax record');
    const key = data.toString('utf8', space + 1, eq);
    records.set(key, data.subarray(eq + 1, i + len - 1));
    i += len;
  }
  return records;
}

// ---------------------------------------------------------------------------------------------
// Encoding

export interface HeaderFields {
  name: string;
  type: EntryType;
  linkname?: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  devmajor?: number;
  devminor?: number;
  uname?: string;
  gname?: string;
  xattrs?: Map<string, Buffer>;
}

function writeString(block: Buffer, text: Buffer, start: number, length: number): void {
  text.copy(block, start, 0, Math.min(text.length, length));
}

/** Octal with a trailing NUL when it fits; undefined when the value needs a pax record. */
function writeOctal(block: Buffer, value: number, start: number, length: number): boolean {
  const text = Math.trunc(value).toString(8);
  if (value < 0 || text.length > length - 1) return false;
  block.write(text.padStart(length - 1, '0'), start, 'latin1');
  block[start + length - 1] = 0;
  return true;
}

function paxRecord(key: string, value: Buffer): Buffer {
  // The length prefix counts itself, so grow it until it is stable.
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function headerBlock(f: { name: Buffer; linkname: Buffer; typeflag: string } & Omit<HeaderFields, 'name' | 'linkname' | 'type'>, pax: Buffer[]): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, f.name, 0, 100);
  writeOctal(block, f.mode & 0o7777, 100, 8);
  if (!writeOctal(block, f.uid, 108, 8)) pax.push(paxRecord('uid', Buffer.from(String(f.uid))));
  if (!writeOctal(block, f.gid, 116, 8)) pax.push(paxRecord('gid', Buffer.from(String(f.gid))));
  if (!writeOctal(block, f.size, 124, 12)) pax.push(paxRecord('size', Buffer.from(String(f.size))));
  if (!writeOctal(block, Math.max(0, Math.floor(f.mtime)), 136, 12)) pax.push(paxRecord('mtime', Buffer.from(String(Math.floor(f.mtime)))));
  block.write(f.typeflag, 156, 'latin1');
  writeString(block, f.linkname, 157, 100);
  block.write('ustar\x0000', 257, 'latin1');
  writeString(block, Buffer.from(f.uname ?? '', 'utf8'), 265, 32);
  writeString(block, Buffer.from(f.gname ?? '', 'utf8'), 297, 32);
  writeOctal(block, f.devmajor ?? 0, 329, 8);
  writeOctal(block, f.devminor ?? 0, 337, 8);
  return block;
}

function sealChecksum(block: Buffer): Buffer {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i];
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return block;
}

export function padding(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/**
 * Encode the header (and, when a field does not fit ustar, a preceding pax header) for one
 * entry. Names longer than 100 bytes, non-ASCII names, large numbers and xattrs go to pax.
 */
export function encodeHeader(f: HeaderFields): Buffer {
  const pax: Buffer[] = [];
  const name = Buffer.from(f.name, 'utf8');
  const linkname = Buffer.from(f.linkname ?? '', 'utf8');
  const ascii = (b: Buffer) => b.every((c) => c < 0x80);
  if (name.length > 100 || !ascii(name)) pax.push(paxRecord('path', name));
  if (linkname.length > 100 || !ascii(linkname)) pax.push(paxRecord('linkpath', linkname));
  if (f.xattrs) {
    for (const [k, v] of [...f.xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      pax.push(paxRecord(`SCHILY.xattr.${k}`, v));
    }
  }
  const main = headerBlock({ ...f, name: name.subarray(0, 100), linkname: linkname.subarray(0, 100), typeflag: FLAG_OF[f.type] }, pax);
  sealChecksum(main);
  if (pax.length === 0) return main;
  const paxData = Buffer.concat(pax);
  const paxName = Buffer.from(`PaxHeaders/${name.subarray(0, 80).toString('latin1')}`, 'latin1');
  const paxHeader = sealChecksum(
    headerBlock({ name: paxName, linkname: Buffer.alloc(0), typeflag: 'x', mode: 0o644, uid: 0, gid: 0, size: paxData.length, mtime: 0 }, []),
  );
  return Buffer.concat([paxHeader, paxData, Buffer.alloc(padding(paxData.length)), main]);
}

/** Low-level block builder for tests and tools that need exact control (hostile archives). */
export function rawHeaderBlock(fields: {
  name: Buffer | string;
  typeflag: string;
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: Buffer | string;
  devmajor?: number;
  devminor?: number;
}): Buffer {
  const block = headerBlock(
    {
      name: Buffer.isBuffer(fields.name) ? fields.name : Buffer.from(fields.name, 'utf8'),
      linkname: Buffer.isBuffer(fields.linkname) ? fields.linkname : Buffer.from(fields.linkname ?? '', 'utf8'),
      typeflag: fields.typeflag,
      mode: fields.mode ?? 0o644,
      uid: fields.uid ?? 0,
      gid: fields.gid ?? 0,
      size: fields.size ?? 0,
      mtime: fields.mtime ?? 0,
      devmajor: fields.devmajor ?? 0,
      devminor: fields.devminor ?? 0,
    },
    [],
  );
  return sealChecksum(block);
}

/** A pax extended-header block plus its padded records, for tests and tools. */
export function rawPaxBlocks(records: [string, Buffer | string][], global = false): Buffer {
  const data = Buffer.concat(records.map(([k, v]) => paxRecord(k, Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'))));
  const header = rawHeaderBlock({ name: 'PaxHeader', typeflag: global ? 'g' : 'x', size: data.length });
  return Buffer.concat([header, data, Buffer.alloc(padding(data.length))]);
}
