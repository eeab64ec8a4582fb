/**
 * The few system calls Node 20 does not offer, reached through koffi (FFI to libc): mknod for
 * overlay whiteouts and device nodes, extended attributes, mount/umount, and AF_UNIX
 * SOCK_SEQPACKET sockets for conmon's attach socket. libc is loaded on first use, so code that
 * never needs these calls (the CLI) never pays for koffi.
 */
import { createRequire } from 'node:module';
import { BerthError } from '../core/errors.js';

// koffi ships as CommonJS; its typings are loose, so the bound functions are typed here.
type KoffiFn = (...args: unknown[]) => number;
/** A bound function that can also run on libuv's thread pool: `fn.async(...args, callback)`. */
type KoffiAsyncFn = KoffiFn & { async: (...argsThenCallback: unknown[]) => void };
interface Koffi {
  load(name: string): { func(signature: string): KoffiFn };
  errno(): number;
  alloc(type: string, len: number): unknown;
}

interface LibC {
  mknod: KoffiFn;
  lsetxattr: KoffiFn;
  lgetxattr: KoffiFn;
  llistxattr: KoffiFn;
  lremovexattr: KoffiFn;
  mount: KoffiFn;
  umount2: KoffiFn;
  socket: KoffiFn;
  connect: KoffiFn;
  bind: KoffiFn;
  listen: KoffiFn;
  shutdown: KoffiFn;
  close: KoffiFn;
  dup: KoffiFn;
  flock: KoffiFn;
  mallocTrim: KoffiFn;
  sync_file_range: KoffiAsyncFn;
  sendfile: KoffiFn;
  poll: KoffiFn;
  syncfs: KoffiAsyncFn;
  strerror: (errno: number) => string;
  koffi: Koffi;
}

let cached: LibC | undefined;

function libc(): LibC {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as Koffi;
  const lib = koffi.load('libc.so.6');
  cached = {
    koffi,
    mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
    lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const uint8_t *value, size_t size, int flags)'),
    lgetxattr: lib.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ uint8_t *value, size_t size)'),
    llistxattr: lib.func('intptr_t llistxattr(const char *path, _Out_ uint8_t *list, size_t size)'),
    lremovexattr: lib.func('int lremovexattr(const char *path, const char *name)'),
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: lib.func('int umount2(const char *target, int flags)'),
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    connect: lib.func('int connect(int fd, const uint8_t *addr, uint32_t len)'),
    bind: lib.func('int bind(int fd, const uint8_t *addr, uint32_t len)'),
    listen: lib.func('int listen(int fd, int backlog)'),
    shutdown: lib.func('int shutdown(int fd, int how)'),
    close: lib.func('int close(int fd)'),
    dup: lib.func('int dup(int fd)'),
    flock: lib.func('int flock(int fd, int operation)'),
    mallocTrim: lib.func('int malloc_trim(size_t pad)'),
    sync_file_range: lib.func('int sync_file_range(int fd, int64_t offset, int64_t nbytes, unsigned int flags)') as KoffiAsyncFn,
    sendfile: lib.func('intptr_t sendfile(int out_fd, int in_fd, _Inout_ int64_t *offset, size_t count)'),
    poll: lib.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)'),
    syncfs: lib.func('int syncfs(int fd)') as KoffiAsyncFn,
    strerror: lib.func('const char *strerror(int errnum)') as unknown as (errno: number) => string,
  };
  return cached;
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 5: 'EIO', 13: 'EACCES', 16: 'EBUSY', 17: 'EEXIST', 20: 'ENOTDIR', 21: 'EISDIR',
  22: 'EINVAL', 28: 'ENOSPC', 30: 'EROFS', 61: 'ENODATA', 95: 'EOPNOTSUPP', 111: 'ECONNREFUSED', 122: 'EDQUOT',
};

/** An error shaped like Node's own system errors (`code`, `errno`, `syscall`, `path`). */
export class SyscallError extends Error {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly path?: string,
  ) {
    const code = ERRNO_NAMES[errno] ?? `E${errno}`;
    super(`${syscall}${path ? ` ${path}` : ''}: ${libc().strerror(errno)} (${code})`);
    this.code = code;
  }
  readonly code: string;
}

function check(ret: number, syscall: string, path?: string): number {
  if (ret < 0) throw new SyscallError(syscall, libc().koffi.errno(), path);
  return ret;
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** glibc's makedev encoding. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  check(libc().mknod(path, mode, makedev(major, minor)), 'mknod', path);
}

export function lsetxattr(path: string, name: string, value: Uint8Array): void {
  check(libc().lsetxattr(path, name, value, value.length, 0), 'lsetxattr', path);
}

/** The value of an extended attribute, or undefined when the file does not have it. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const c = libc();
  const size = c.lgetxattr(path, name, null, 0);
  if (size < 0) {
    const errno = c.koffi.errno();
    if (errno === 61) return undefined; // ENODATA
    throw new SyscallError('lgetxattr', errno, path);
  }
  const buf = Buffer.alloc(size);
  const got = check(c.lgetxattr(path, name, buf, size), 'lgetxattr', path);
  return buf.subarray(0, got);
}

export function llistxattr(path: string): string[] {
  const c = libc();
  const size = c.llistxattr(path, null, 0);
  if (size < 0) {
    const errno = c.koffi.errno();
    if (errno === 95) return []; // EOPNOTSUPP: filesystem without xattrs
    throw new SyscallError('llistxattr', errno, path);
  }
  if (size === 0) return [];
  const buf = Buffer.alloc(size);
  const got = check(c.llistxattr(path, buf, size), 'llistxattr', path);
  return buf
    .subarray(0, got)
    .toString('utf8')
    .split('\0')
    .filter((n) => n.length > 0);
}

export function lremovexattr(path: string, name: string): void {
  check(libc().lremovexattr(path, name), 'lremovexattr', path);
}

export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_REMOUNT = 32;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_PRIVATE = 1 << 18;
export const MNT_DETACH = 2;

export function mount(source: string, target: string, fstype: string, flags: number, data: string | null): void {
  check(libc().mount(source, target, fstype, flags, data), 'mount', target);
}

export function umount2(target: string, flags = 0): void {
  check(libc().umount2(target, flags), 'umount', target);
}

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;

function sockaddrUn(path: string): Buffer {
  const bytes = Buffer.from(path, 'utf8');
  if (bytes.length >= 108) {
    throw new BerthError('invalid', 'ERR_SOCKET_PATH_TOO_LONG', `socket path too long (${bytes.length} bytes, max 107): ${path}`);
  }
  const addr = Buffer.alloc(2 + 108);
  addr.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(addr, 2);
  return addr;
}

/**
 * Connect an AF_UNIX SOCK_SEQPACKET socket (Node's net module cannot) and return its fd.
 * Read it with fs.read (one packet per read) and write it with fs.write (one packet per write).
 */
export function connectSeqpacket(path: string): number {
  const c = libc();
  const fd = check(c.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), 'socket');
  const addr = sockaddrUn(path);
  if (c.connect(fd, addr, addr.length) < 0) {
    const errno = c.koffi.errno();
    c.close(fd);
    throw new SyscallError('connect', errno, path);
  }
  return fd;
}

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

/** shutdown(2): wakes a reader blocked on the socket (it then reads 0 bytes). */
export function shutdownSocket(fd: number, how: number): void {
  libc().shutdown(fd, how);
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

/**
 * Take an exclusive advisory lock on an open file descriptor without waiting. Returns false when
 * another process holds it. The kernel drops the lock when the process dies, so a crash never
 * leaves a stale lock behind.
 */
export function tryLockExclusive(fd: number): boolean {
  const c = libc();
  if (c.flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
  const errno = c.koffi.errno();
  if (errno === 11) return false; // EWOULDBLOCK
  throw new SyscallError('flock', errno);
}

/** Take an exclusive lock, waiting for it (blocks the calling thread: use for short critical sections). */
export function lockExclusive(fd: number): void {
  check(libc().flock(fd, LOCK_EX), 'flock');
}

export function unlock(fd: number): void {
  check(libc().flock(fd, LOCK_UN), 'flock');
}

const SYNC_FILE_RANGE_WRITE = 2;

/**
 * Start writeback of a byte range of a file without waiting for it to reach the disk
 * (sync_file_range(2) with SYNC_FILE_RANGE_WRITE), on libuv's thread pool because even starting it
 * blocks while the device queue is full. A writer of a large file calls it as it goes so that the
 * final fsync finds little left to flush: the disk works while the data is still arriving.
 * Resolves false when the filesystem cannot do it (the fsync then does all the work).
 */
export function startWriteback(fd: number, offset: number, length: number): Promise<boolean> {
  return new Promise((resolve) => {
    libc().sync_file_range.async(fd, offset, length, SYNC_FILE_RANGE_WRITE, (err: unknown, ret: number) => resolve(!err && ret === 0));
  });
}

/** syncfs(2): flush the whole filesystem holding `fd` (one call instead of an fsync per file). */
export function syncfs(fd: number): void {
  check(libc().syncfs(fd), 'syncfs');
}

/** syncfs(2) on libuv's thread pool: the caller's thread goes on while the disk is flushed. */
export function syncfsAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    libc().syncfs.async(fd, (err: unknown, ret: number) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else if (ret !== 0) reject(new BerthError('internal', 'ERR_SYSCALL', 'syncfs failed'));
      else resolve();
    });
  });
}

/** dup(2): a second fd for the same open socket (close-on-exec is not set on it). */
export function dupFd(fd: number): number {
  return check(libc().dup(fd), 'dup');
}

const EAGAIN = 11;

/**
 * sendfile(2): copy up to `count` bytes of a file, from `offset[0]` (which it advances), to a
 * socket inside the kernel. Returns the bytes sent (0 at the end of the file), or undefined when
 * the non-blocking socket cannot take more now (EAGAIN).
 */
export function sendfileChunk(outFd: number, inFd: number, offset: BigInt64Array, count: number): number | undefined {
  const c = libc();
  const n = c.sendfile(outFd, inFd, offset, count);
  if (n >= 0) return n;
  const errno = c.koffi.errno();
  if (errno === EAGAIN) return undefined;
  throw new SyscallError('sendfile', errno);
}

const POLLOUT = 4;
const POLLERR = 8;
const POLLHUP = 16;
const POLLNVAL = 32;

/** poll(2) for writability: for each fd, whether it can take data, has failed (closed, error), or neither yet. */
export function pollWritable(fds: number[], timeoutMs: number): ('writable' | 'failed' | 'waiting')[] {
  const c = libc();
  const buf = Buffer.alloc(8 * fds.length);
  fds.forEach((fd, i) => {
    buf.writeInt32LE(fd, 8 * i);
    buf.writeInt16LE(POLLOUT, 8 * i + 4);
  });
  if (c.poll(buf, fds.length, timeoutMs) < 0) {
    const errno = c.koffi.errno();
    if (errno !== 4) throw new SyscallError('poll', errno); // EINTR: report nothing ready
  }
  return fds.map((_, i) => {
    const revents = buf.readInt16LE(8 * i + 6);
    if (revents & (POLLERR | POLLHUP | POLLNVAL)) return 'failed';
    return revents & POLLOUT ? 'writable' : 'waiting';
  });
}

/** malloc_trim(3): give freed heap memory (large transfer buffers) back to the kernel. */
export function mallocTrim(): void {
  libc().mallocTrim(0);
}
