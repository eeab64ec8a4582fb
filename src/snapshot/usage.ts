/** Disk usage of a directory tree the way Docker reports SizeRw: apparent sizes, inodes once. */
import { lstat, readdir } from 'node:fs/promises';
import type { Usage } from './contract.js';

export async function diskUsage(root: string): Promise<Usage> {
  const seen = new Set<string>();
  const usage: Usage = { size: 0, inodes: 0 };
  const visit = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const p = `${dir}/${name}`;
      const st = await lstat(p);
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      usage.inodes++;
      if (st.isDirectory()) await visit(p);
      else usage.size += st.size;
    }
  };
  await visit(root);
  return usage;
}
