/** Checks of a registry root after concurrency and crashes: every stored blob is what its name says. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

async function hashFile(path: string, algorithm: string): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Every blob under <root>/content/blobs whose bytes do not hash to its name (should be none). */
export async function corruptBlobs(root: string): Promise<string[]> {
  const bad: string[] = [];
  for (const algorithm of ['sha256', 'sha512']) {
    const dir = join(root, 'content', 'blobs', algorithm);
    for (const hex of await readdir(dir).catch(() => [] as string[])) {
      if ((await hashFile(join(dir, hex), algorithm)) !== hex) bad.push(`${algorithm}:${hex}`);
    }
  }
  return bad;
}

/** How many blobs the root holds. */
export async function blobCount(root: string): Promise<number> {
  let n = 0;
  for (const algorithm of ['sha256', 'sha512']) n += (await readdir(join(root, 'content', 'blobs', algorithm)).catch(() => [] as string[])).length;
  return n;
}
