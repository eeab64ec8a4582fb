/** Mount points for tests: unmounted and removed when the test ends, whatever the order of hooks. */
import { rmdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { TestContext } from 'node:test';
import { unmount } from '../../src/snapshot/mount.js';

export async function mountPoint(t: TestContext): Promise<string> {
  const dir = await mkdtemp(`${tmpdir()}/berth-mnt-`);
  t.after(() => {
    unmount(dir);
    rmdirSync(dir);
  });
  return dir;
}
