/**
 * distribution 2.8.2 (Debian's docker-registry) as the reference registry: its own root, config
 * and free port, filesystem storage with deletes on, stopped after the test.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../helpers/tmp.js';
import { distributionConfig, type DistributionConfigOptions } from './distribution-config.js';
import { freePort, processHandle, request, type Ctx, type ServeProcess } from './helpers.js';

export const DISTRIBUTION = '/usr/bin/docker-registry';

export interface DistributionOptions extends DistributionConfigOptions {
  tls?: { cert: string; key: string; ca: Buffer };
}

export async function startDistribution(t: Ctx, opts: DistributionOptions = {}): Promise<ServeProcess> {
  const dir = await tempDir(t, 'berth-distribution-');
  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(config, distributionConfig(join(dir, 'data'), port, opts));
  const proc = spawn(DISTRIBUTION, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const sp = processHandle(t, proc, `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`, () => out);
  // Ready once it answers /v2/ at all (401 with auth on).
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${out}`);
    const ok = await request(`${sp.url}/v2/`, { ca: opts.tls?.ca }).then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (i > 200) throw new Error(`docker-registry did not start: ${out}`);
    await sleep(25);
  }
  return sp;
}
