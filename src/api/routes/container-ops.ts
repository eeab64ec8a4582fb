/**
 * Container endpoints beyond the lifecycle: top, changes, export, stats, update, prune, commit,
 * plus /events and /system/df, and the prune endpoints `docker system prune` calls for object
 * kinds berth does not have yet.
 */
import type { ContainerRecord, HostConfig, RestartPolicy } from '../../container/contract.js';
import type { ExecManager } from '../../container/exec.js';
import { resourceOptions } from '../../container/bundle.js';
import { cpuCount } from '../../container/create.js';
import { buildResources } from '../../runtime/spec-resources.js';
import { commitContainer, containerChanges, exportContainer, type FilesystemDeps } from '../../container/filesystem.js';
import { isActive } from '../../container/service.js';
import { sample, statsJson, type StatsSample } from '../../container/stats.js';
import { top } from '../../container/top.js';
import { conflict, invalid } from '../../core/errors.js';
import { labelMatches } from '../../core/labels.js';
import { eventJson, type EventBus } from '../../daemon/events.js';
import type { ContainerConfig } from '../../image/oci.js';
import type { ApiRequest, ApiResponse, Route } from '../contract.js';
import { boolParam, checkFilterKeys, filtersParam, parseTimeNs } from '../query.js';
import { containerSummary } from '../views/container.js';
import { imageSummary } from '../views/image.js';

export interface ContainerOpsDeps extends FilesystemDeps {
  execs: ExecManager;
  events: EventBus;
  sizes(rec: ContainerRecord): Promise<{ rw: number; rootFs: number }>;
}

const KIND: Record<string, number> = { C: 0, A: 1, D: 2 };

async function stats(deps: ContainerOpsDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const rec = deps.containers.resolve(req.params.id);
  const stream = boolParam(req.query, 'stream', true);
  const oneShot = boolParam(req.query, 'one-shot');
  const out = res.stream('application/json');
  let closed = false;
  req.onClose(() => (closed = true));
  const cgroupsPath = isActive(rec.state) ? (await deps.containers.runningSpec(rec)).linux?.cgroupsPath : undefined;
  const take = () => (isActive(rec.state) ? sample(cgroupsPath) : Promise.resolve(undefined));
  const write = (cur: StatsSample | undefined, prev: StatsSample | undefined) => out.write(JSON.stringify(statsJson(rec.id, rec.name, cur, prev)) + '\n');
  if (!stream) {
    let prev: StatsSample | undefined;
    if (!oneShot && isActive(rec.state)) {
      prev = await take();
      await new Promise((r) => setTimeout(r, 1000));
    }
    write(await take(), prev);
    out.end();
    return;
  }
  // Streaming: one sample a second until the client leaves or the container is removed.
  let prev = await take();
  for (let i = 0; !closed && deps.containers.store.get(rec.id); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const cur = await take();
    if (closed) break;
    write(cur, prev);
    prev = cur;
  }
  out.end();
}

/** Resources `docker update` may change, applied to the running container and persisted. */
async function update(deps: ContainerOpsDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const rec = deps.containers.resolve(req.params.id);
  const body = (await req.json<Partial<HostConfig> & { RestartPolicy?: RestartPolicy }>()) ?? {};
  const h = rec.hostConfig;
  if (body.RestartPolicy && body.RestartPolicy.Name) {
    if (h.AutoRemove && body.RestartPolicy.Name !== 'no') throw invalid('ERR_RESTART_POLICY', 'Restart policy cannot be updated because AutoRemove is enabled for the container');
    h.RestartPolicy = { Name: body.RestartPolicy.Name, MaximumRetryCount: body.RestartPolicy.MaximumRetryCount ?? 0 };
  }
  const fields = ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight'] as const;
  const changed: Partial<HostConfig> = {};
  for (const f of fields) {
    const v = body[f];
    if (v !== undefined && v !== null && v !== 0 && v !== '') Object.assign(changed, { [f]: v });
  }
  // The limits after the update, checked and converted by the runtime's own resource builder.
  // A new memory limit without a new swap limit gets twice the memory as swap, as in Docker.
  const next: HostConfig = { ...h, ...changed };
  if (changed.Memory && !changed.MemorySwap && h.MemorySwap !== -1) next.MemorySwap = changed.Memory * 2;
  const resources = buildResources(resourceOptions(next), cpuCount());
  if (Object.keys(changed).length > 0 && (rec.state.status === 'running' || rec.state.status === 'paused')) {
    const runtime = await deps.containers.runtimeFor(rec);
    try {
      await runtime.update(rec.id, resources);
    } catch (e) {
      // The container may have exited meanwhile; the saved limits apply at its next start.
      const state = await runtime.state(rec.id).catch(() => undefined);
      if (state && state.status !== 'stopped') throw e;
    }
  }
  Object.assign(h, changed);
  await deps.containers.store.save(rec);
  deps.events.publish('container', 'update', rec.id, { name: rec.name.slice(1) });
  res.json({ Warnings: [] });
}

async function prune(deps: ContainerOpsDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const filters = filtersParam(req.query);
  checkFilterKeys(filters, ['until', 'label', 'label!']);
  const untilText = filters.get('until')?.[0];
  const until = untilText ? Number(parseTimeNs(untilText, `filter 'until=${untilText}'`) / 1_000_000n) : undefined;
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const rec of deps.containers.store.all()) {
    if (isActive(rec.state)) continue;
    if (until !== undefined && Date.parse(rec.created) >= until) continue;
    if (!(filters.get('label') ?? []).every((l) => labelMatches(rec.config.Labels, l))) continue;
    if ((filters.get('label!') ?? []).some((l) => labelMatches(rec.config.Labels, l))) continue;
    const size = (await deps.sizes(rec)).rw;
    await deps.containers.remove(rec.id, { force: false });
    deps.execs.forgetContainer(rec.id);
    deleted.push(rec.id);
    reclaimed += size;
  }
  deps.events.publish('container', 'prune', '', { reclaimed: String(reclaimed) });
  res.json({ ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
}

async function commit(deps: ContainerOpsDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const q = req.query;
  const ref = q.get('container');
  if (!ref) throw invalid('ERR_BAD_PARAMETER', 'No container specified');
  const rec = deps.containers.resolve(ref);
  const body = await req.json<ContainerConfig>();
  const id = await commitContainer(deps, rec, {
    ...(q.get('repo') ? { repo: q.get('repo') as string } : {}),
    ...(q.get('tag') ? { tag: q.get('tag') as string } : {}),
    ...(q.get('comment') ? { comment: q.get('comment') as string } : {}),
    ...(q.get('author') ? { author: q.get('author') as string } : {}),
    pause: boolParam(q, 'pause', true),
    changes: q.getAll('changes').flatMap((c) => c.split('\n')),
    ...(body && Object.keys(body).length ? { config: body } : {}),
  });
  deps.events.publish('container', 'commit', rec.id, { name: rec.name.slice(1), comment: q.get('comment') ?? '' });
  res.json({ Id: id }, 201);
}

async function events(deps: ContainerOpsDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const sinceText = req.query.get('since');
  const untilText = req.query.get('until');
  const since = sinceText ? parseTimeNs(sinceText, 'since') : undefined;
  const until = untilText ? parseTimeNs(untilText, 'until') : undefined;
  const filters = filtersParam(req.query);
  checkFilterKeys(filters, ['container', 'event', 'image', 'label', 'type', 'daemon', 'network', 'volume', 'plugin', 'node', 'service', 'secret', 'config', 'scope']);
  const matches = (e: ReturnType<EventBus['past']>[number]) => {
    const f = (k: string) => filters.get(k);
    if (f('type') && !f('type')!.includes(e.Type)) return false;
    if (f('event') && !f('event')!.some((x) => e.Action === x || e.Action.startsWith(`${x}:`))) return false;
    const name = e.Actor.Attributes.name ?? '';
    if (f('container') && (e.Type !== 'container' || !f('container')!.some((c) => e.Actor.ID.startsWith(c) || name === c))) return false;
    if (f('image') && !f('image')!.some((i) => e.Actor.Attributes.image === i || e.Actor.ID === i || (e.Type === 'image' && name === i))) return false;
    if (!(f('label') ?? []).every((l) => labelMatches(e.Actor.Attributes, l))) return false;
    return true;
  };
  const out = res.stream('application/json');
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  for (const e of since !== undefined ? deps.events.past(since, until) : []) if (matches(e)) out.write(eventJson(e) + '\n');
  if (until !== undefined && until <= nowNs) {
    out.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      unsubscribe();
      clearTimeout(timer);
      resolve();
    };
    const unsubscribe = deps.events.subscribe((e) => {
      if (until !== undefined && e.timeNano > until) return stop();
      if (matches(e)) out.write(eventJson(e) + '\n');
    });
    const timer = until !== undefined ? setTimeout(stop, Number((until - nowNs) / 1_000_000n)) : undefined;
    req.onClose(stop);
  });
  out.end();
}

async function systemDf(deps: ContainerOpsDeps, res: ApiResponse): Promise<void> {
  const images = await deps.images.list();
  const containers = deps.containers.store.all();
  const usedBy = (id: string) => containers.filter((c) => c.image === id).length;
  const layerSizes = new Map<string, number>();
  for (const d of images) for (const l of d.record.layers) layerSizes.set(l.chainId, l.size);
  const imageViews = images.map((d) => {
    const v = imageSummary(d);
    const shared = d.record.layers.filter((l) => images.some((o) => o !== d && o.record.layers.some((x) => x.chainId === l.chainId))).reduce((n, l) => n + l.size, 0);
    return { ...v, Containers: usedBy(d.record.id), SharedSize: shared };
  });
  const containerViews = [];
  const names = new Map<string, string>();
  for (const c of containers) {
    const s = await deps.sizes(c);
    containerViews.push(containerSummary(c, deps.containers.imageName(c, names), s));
  }
  res.json({
    LayersSize: [...layerSizes.values()].reduce((a, b) => a + b, 0),
    Images: imageViews,
    Containers: containerViews,
    Volumes: [],
    BuildCache: [],
  });
}

export function containerOpsRoutes(deps: ContainerOpsDeps): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/containers/{id}/top',
      handler: async (req, res) => {
        const rec = deps.containers.resolve(req.params.id);
        if (rec.state.status !== 'running' && rec.state.status !== 'paused') throw conflict('ERR_NOT_RUNNING', `Container ${rec.id} is not running`);
        const pids = await (await deps.containers.runtimeFor(rec)).ps(rec.id);
        res.json(await top(pids, req.query.get('ps_args') ?? '-ef'));
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/changes',
      handler: async (req, res) => {
        const rec = deps.containers.resolve(req.params.id);
        const list = await containerChanges(deps, rec);
        res.json(list.length ? list.map((c) => ({ Path: c.path, Kind: KIND[c.kind] })) : null);
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/export',
      handler: async (req, res) => {
        const rec = deps.containers.resolve(req.params.id);
        const tar = await exportContainer(deps, rec);
        const out = res.stream('application/x-tar');
        tar.on('error', () => out.destroy());
        tar.pipe(out);
        req.onClose(() => tar.destroy());
        await new Promise((r) => out.once('close', r).once('finish', r));
      },
    },
    { method: 'GET', pattern: '/containers/{id}/stats', handler: (req, res) => stats(deps, req, res) },
    { method: 'POST', pattern: '/containers/{id}/update', handler: (req, res) => update(deps, req, res) },
    { method: 'POST', pattern: '/containers/prune', handler: (req, res) => prune(deps, req, res) },
    { method: 'POST', pattern: '/commit', handler: (req, res) => commit(deps, req, res) },
    { method: 'GET', pattern: '/events', handler: (req, res) => events(deps, req, res) },
    { method: 'GET', pattern: '/system/df', handler: (_req, res) => systemDf(deps, res) },
    // Object kinds berth does not have yet: nothing to prune, answered as dockerd would.
    { method: 'POST', pattern: '/networks/prune', handler: (_req, res) => res.json({ NetworksDeleted: null }) },
    { method: 'POST', pattern: '/volumes/prune', handler: (_req, res) => res.json({ VolumesDeleted: null, SpaceReclaimed: 0 }) },
    { method: 'POST', pattern: '/build/prune', handler: (_req, res) => res.json({ CachesDeleted: null, SpaceReclaimed: 0 }) },
  ];
}
