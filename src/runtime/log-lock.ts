/**
 * One lock per log path, shared by the rotator (rename cascade + reopen) and the readers (which
 * open every file of the log under it), so a reader never lists a file that is renamed away
 * before it opens it. Readers hold it only while opening; open fds survive later renames.
 */
import { KeyedMutex } from '../core/mutex.js';

const locks = new KeyedMutex();

export function withLogLock<T>(logPath: string, fn: () => Promise<T>): Promise<T> {
  return locks.run(logPath, fn);
}
