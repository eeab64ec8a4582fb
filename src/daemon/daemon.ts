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
import { invalid } from '../core/errors.js';
import { ensureDir, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from '../core/fsutil.js';
import { logger } from '../core/log.js';
import { ImageService } from '../image/service.js';
import { ImageIndex } from '../image/store.js';
import { parseHost, type DaemonConfig } from './config.js';
import { acquireDaemonLock, type DaemonLock } from './lock.js';
import { decompress, openStorage } from './storage.js';
import { createSystemService } from './system.js';
import { IdleTrimmer } from './idle-trim.js';
import { EventBus } from './events.js';
import { containerRoutes } from '../api/routes/containers.js';
import { containerOpsRoutes } from '../api/routes/container-ops.js';
import { ContainerStore } from '../container/store.js';
import type { ContainerRecord } from '../container/contract.js';
import { ContainerService } from '../container/service.js';
import { ExecManager } from '../container/exec.js';
import { ContainerRuntime } from '../runtime/supervisor.js';
import type { RuntimeName } from '../runtime/contract.js';

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
    private readonly runtimes: Map<string, Promise<ContainerRuntime>>,
    private readonly containers: ContainerService,
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
      const storage = await openStorage(path.join(config.dataRoot, 'snapshots'), { sync: config.layerSync });
      const index = await ImageIndex.open(path.join(config.dataRoot, 'images'));
      const images = new ImageService({ content, layers: storage.layers, index, decompress });
      const swept = await images.sweep();
      if (swept.chains.length || swept.blobs) log.info('removed unreferenced layers and blobs', { layers: swept.chains.length, blobs: swept.blobs });

      const runtimePaths: Record<string, string> = { runc: 'runc', crun: 'crun' };
      for (const [name, rt] of Object.entries(config.runtimes)) runtimePaths[name] = rt.path;
      const runtimes = new Map<string, Promise<ContainerRuntime>>();
      const runtime = (name: string) => {
        let rt = runtimes.get(name);
        if (!rt) {
          const kind: RuntimeName = name === 'crun' || runtimePaths[name]?.endsWith('crun') ? 'crun' : 'runc';
          const binary = runtimePaths[name];
          rt = ContainerRuntime.open({ name: kind, execRoot: config.execRoot, ...(binary && binary !== kind ? { path: binary } : {}) });
          runtimes.set(name, rt);
        }
        return rt;
      };
      const events = new EventBus();
      const store = await ContainerStore.open(path.join(config.dataRoot, 'containers'));
      const containers = new ContainerService({
        store,
        images,
        snapshots: storage.snapshots,
        events,
        runtime,
        runtimes: runtimePaths,
        defaultRuntime: config.defaultRuntime,
      });
      images.setUsage(containers.usage(), () => containers.containerChains());
      images.onEvent((e) => events.publish('image', e.action, e.id, { name: e.name }));
      await containers.restore();
      containers.startWatchdog();
      const execs = new ExecManager(containers);
      const sizes = async (rec: ContainerRecord) => {
        const rw = (await storage.snapshots.usage(rec.id).catch(() => ({ size: 0 }))).size;
        const img = index.get(rec.image);
        return { rw, rootFs: rw + (img ? images.size(img) : 0) };
      };
      const system = createSystemService(
        config,
        {
          images: () => index.all().length,
          containers: () => {
            const all = store.all();
            const running = all.filter((c) => c.state.status === 'running' || c.state.status === 'restarting').length;
            const paused = all.filter((c) => c.state.status === 'paused').length;
            return { total: all.length, running, paused, stopped: all.length - running - paused };
          },
        },
        await daemonId(config.dataRoot),
        runtimePaths,
      );
      const router = new Router()
        .add(...systemRoutes(system))
        .add(...imageRoutes({ images, graphDriver: (d) => storage.graphDriver(d.record.layers.map((l) => l.chainId)) }))
        .add(
          ...containerRoutes({
            containers,
            images,
            execs,
            graphDriver: (rec) => {
              const img = index.get(rec.image);
              const lower = storage.graphDriver(img?.layers.map((l) => l.chainId) ?? []).data;
              const dir = containers.dir(rec.id);
              const active = storage.snapshots.list().find((r) => r.kind === 'active' && r.key === rec.id);
              return {
                LowerDir: [lower.UpperDir, lower.LowerDir].filter(Boolean).join(':'),
                MergedDir: path.join(dir, 'rootfs'),
                UpperDir: active ? path.join(storage.snapshots.root, String(active.id), 'fs') : '',
                WorkDir: active ? path.join(storage.snapshots.root, String(active.id), 'work') : '',
              };
            },
            sizes,
          }),
        )
        .add(...containerOpsRoutes({ containers, images, snapshots: storage.snapshots, execs, events, sizes }))
        .add(...absentRoutes());
      const api = new ApiServer(router);
      const trimmer = new IdleTrimmer();
      api.onActivity = () => trimmer.poke();
      await api.listen(await listenersFor(config));
      if (config.pidfile) await writeFileAtomic(config.pidfile, `${process.pid}\n`);
      log.info('berthd started', { dataRoot: config.dataRoot, hosts: config.hosts, pid: process.pid });
      return new Daemon(config, images, api, lock, runtimes, containers);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** Graceful stop: stop serving; containers keep running (they are conmon's, not ours). */
  async stop(): Promise<void> {
    await this.api.close();
    await this.containers.drain();
    for (const rt of this.runtimes.values()) (await rt.catch(() => undefined))?.close();
    for (const h of this.config.hosts) {
      const spec = parseHost(h);
      if (spec.kind === 'unix') await fs.rm(spec.path, { force: true });
    }
    if (this.config.pidfile) await fs.rm(this.config.pidfile, { force: true });
    this.lock.release();
    log.info('berthd stopped');
  }
}
