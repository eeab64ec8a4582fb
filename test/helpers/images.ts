/** Test images made offline: the busybox rootfs tar from scripts/busybox-rootfs.sh. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './daemon.js';

let cached: Buffer | undefined;

/** The busybox rootfs as an uncompressed tar (same bytes on every call). */
export function busyboxTar(): Buffer {
  cached ??= execFileSync('bash', [join(REPO_ROOT, 'scripts', 'busybox-rootfs.sh')], { maxBuffer: 64 << 20 });
  return cached;
}
