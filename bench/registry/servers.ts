/**
 * The two registries the benchmark compares, each as its own process on a free loopback port:
 * berth registry (`node dist/src/registry/main.js serve`) and distribution 2.8.2 configured as in
 * the reference measurements (see test/registry/distribution-config.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { distributionConfig } from '../../test/registry/distribution-config.js';

export interface BenchServer {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const MAIN = new URL('../../src/registry/main.js', import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = http.createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get(`${url}/v2/`, (res) => {
        res.resume();
        resolve(true);
      })
      .once('error', () => resolve(false));
  });
}

async function started(name: string, proc: ChildProcess, url: string): Promise<BenchServer> {
  for (let i = 0; !(await answers(url)); i++) {
    if (proc.exitCode !== null || i > 400) throw new Error(`${name} did not start`);
    await sleep(25);
  }
  return {
    name,
    url,
    pid: proc.pid ?? 0,
    stop: async () => {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await new Promise((resolve) => proc.once('exit', resolve));
    },
  };
}

export async function startBerth(root: string): Promise<BenchServer> {
  const port = await freePort();
  const proc = spawn(process.execPath, [MAIN, 'serve', '--addr', `127.0.0.1:${port}`, '--root', root, '--access-log', 'off'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return started('berth', proc, `http://127.0.0.1:${port}`);
}

export async function startDistribution(dir: string): Promise<BenchServer> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(config, distributionConfig(join(dir, 'data'), port));
  const proc = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  return started('distribution 2.8.2', proc, `http://127.0.0.1:${port}`);
}
