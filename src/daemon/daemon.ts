/**
 * berthd's assembly: opens the stores under the data-root, builds the services, and serves the
 * Engine API on the configured listeners. Startup takes the data-root lock first, so a second
 * daemon on the same data-root stops before it touches anything.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ApiServer, type Listener } from '../api/server.js';
import { Router } from '../api/router.js';
import { absentRoutes } from '../api/routes/absent.js';
import { imageRoutes } from '../api/routes/images.js';
import { systemRoutes } from '../api/routes/system.js';
import { LocalContentStore } from '../content/local.js';
import { BerthError, invalid } from '../core/errors.js';
import { ensureDir, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from '../core/fsutil.js';
import { logger } from '../core/log.js';
import { ImageService } from '../image/service.js';
import { ImageIndex } from '../image/store.js';
import { parseHost, type DaemonConfig } from './config.js';
import { acquireDaemonLock, type DaemonLock } from './lock.js';
import { decompress, openStorage } from './storage.js';
import { createSystemService } from './system.js';

const log = logger('daemon');

async function groupId(name: string): Promise<number | undefined> {
  const text = await fs.readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name) return Number(gid);
  }
  return undefined;
}

async function listenersFor(config: DaemonConfig): Promise<Listener[]> {
  const out: Listener[] = [];
  const gid = await groupId(config.group);
  for (const h of config.hosts) {
    const spec = parseHost(h);
    if (spec.kind === 'unix') {
      await ensureDir(path.dirname(spec.path), 0o755);
      out.push({ kind: 'unix', path: spec.path, mode: 0o660, ...(gid !== undefined ? { gid } : {}) });
      continue;
    }
    const tls = config.tls;
    if (!tls?.verify || !tls.ca || !tls.cert || !tls.key) {
      throw invalid('ERR_CONFIG', `refusing to listen on ${h} without mutual TLS: give --tlsverify with --tlscacert, --tlscert and --tlskey`);
    }
    out.push({
      kind: 'tcp',
      host: spec.host,
      port: spec.port,
      tls: { ca: await fs.readFile(tls.ca), cert: await fs.readFile(tls.cert), key: await fs.readFile(tls.key) },
    });
  }
  return out;
}

/** A stable daemon ID (docker info's ID), made once per data-root. */
async function daemonId(dataRoot: string): Promise<string> {
  const file = path.join(dataRoot, 'engine-id');
  const existing = await readJsonIfExists<{ id: string }>(file).catch(() => undefined);
  if (existing?.id) return existing.id;
  const id = randomBytes(16).toString('hex');
  await writeJsonAtomic(file, { id });
  return id;
}

export class Daemon {
  private constructor(
    readonly config: DaemonConfig,
    readonly images: ImageService,
    private readonly api: ApiServer,
    private readonly lock: DaemonLock,
  ) {}

  static async start(config: DaemonConfig): Promise<Daemon> {
    await ensureDir(config.dataRoot, 0o711);
    await ensureDir(config.execRoot, 0o700);
    const lock = acquireDaemonLock(config.dataRoot);
    try {
      const content = await LocalContentStore.open(path.join(config.dataRoot, 'content'));
      // We hold the data-root lock: every ingest file is a leftover of a killed daemon.
      const leftovers = await content.cleanIngest(-1);
      if (leftovers) log.info('removed unfinished blob writes', { count: leftovers });
      const storage = await openStorage(path.join(config.dataRoot, 'snapshots'));
      const index = await ImageIndex.open(path.join(config.dataRoot, 'images'));
      const images = new ImageService({ content, layers: storage.layers, index, decompress });
      const swept = await images.sweep();
      if (swept.chains.length || swept.blobs) log.info('removed unreferenced layers and blobs', { layers: swept.chains.length, blobs: swept.blobs });

      const runtimes: Record<string, string> = { runc: 'runc', crun: 'crun' };
      for (const [name, rt] of Object.entries(config.runtimes)) runtimes[name] = rt.path;
      const system = createSystemService(
        config,
        {
          images: () => index.all().length,
          containers: () => ({ total: 0, running: 0, paused: 0, stopped: 0 }),
        },
        await daemonId(config.dataRoot),
        runtimes,
      );
      const router = new Router()
        .add(...systemRoutes(system))
        .add(...imageRoutes({ images, graphDriver: (d) => storage.graphDriver(d.record.layers.map((l) => l.chainId)) }))
        .add(...absentRoutes());
      const api = new ApiServer(router);
      await api.listen(await listenersFor(config));
      if (config.pidfile) await writeFileAtomic(config.pidfile, `${process.pid}\n`);
      log.info('berthd started', { dataRoot: config.dataRoot, hosts: config.hosts, pid: process.pid });
      return new Daemon(config, images, api, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** Graceful stop: stop serving; containers keep running (they are conmon's, not ours). */
  async stop(): Promise<void> {
    await this.api.close();
    for (const h of this.config.hosts) {
      const spec = parseHost(h);
      if (spec.kind === 'unix') await fs.rm(spec.path, { force: true });
    }
    if (this.config.pidfile) await fs.rm(this.config.pidfile, { force: true });
    this.lock.release();
    log.info('berthd stopped');
  }
}

export function isStartupConflict(e: unknown): boolean {
  return e instanceof BerthError && e.code === 'ERR_DAEMON_RUNNING';
}
