/**
 * One daemon per data-root: berthd holds an flock on `<data-root>/berthd.lock` for its whole
 * life. The kernel releases it when the process dies, so a crash never leaves a stale lock.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BerthError } from '../core/errors.js';
import { tryLockExclusive } from '../sys/libc.js';

export interface DaemonLock {
  release(): void;
}

export function acquireDaemonLock(dataRoot: string): DaemonLock {
  const file = path.join(dataRoot, 'berthd.lock');
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  if (!tryLockExclusive(fd)) {
    const holder = fs.readFileSync(file, 'utf8').trim();
    fs.closeSync(fd);
    throw new BerthError(
      'conflict',
      'ERR_DAEMON_RUNNING',
      `another berthd${holder ? ` (pid ${holder})` : ''} is already using the data-root ${dataRoot}`,
      { hint: 'stop it first, or start this one with a different --data-root' },
    );
  }
  fs.ftruncateSync(fd, 0);
  fs.writeSync(fd, `${process.pid}\n`, 0);
  return {
    release() {
      fs.closeSync(fd);
    },
  };
}
