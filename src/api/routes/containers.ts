/** Container endpoints of the Engine API v1.41 (lifecycle, attach, logs, wait, exec). */
import { bridge } from '../../container/attach.js';
import type { ContainerRecord, CreateRequest } from '../../container/contract.js';
import type { ExecConfig, ExecManager } from '../../container/exec.js';
import { attachable, isActive, type ContainerService, type WaitCondition } from '../../container/service.js';
import { writeOutput } from '../../container/stdio.js';
import { invalid, notFound, toBerthError } from '../../core/errors.js';
import type { ImageService } from '../../image/service.js';
import type { Digest } from '../../core/digest.js';
import { labelMatches } from '../../core/labels.js';
import { formatTimestampNs } from '../../runtime/k8s-log.js';
import { readLogs } from '../../runtime/log-reader.js';
import type { ApiRequest, ApiResponse, Route } from '../contract.js';
import { boolParam, checkFilterKeys, filtersParam, intParam, parseTimeNs } from '../query.js';
import { containerInspect, containerSummary } from '../views/container.js';

export interface ContainerRoutesDeps {
  containers: ContainerService;
  images: ImageService;
  execs: ExecManager;
  graphDriver(rec: ContainerRecord): Record<string, string>;
  sizes(rec: ContainerRecord): Promise<{ rw: number; rootFs: number }>;
}

/** `since`/`until` of the logs endpoint; absent, empty or 0 mean no bound. */
function timeParam(q: URLSearchParams, key: string): bigint | undefined {
  const v = q.get(key);
  return v === null || v === '' || v === '0' ? undefined : parseTimeNs(v, `value for ${key}`);
}

async function list(deps: ContainerRoutesDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const all = boolParam(req.query, 'all');
  const limit = intParam(req.query, 'limit');
  const size = boolParam(req.query, 'size');
  const filters = filtersParam(req.query);
  checkFilterKeys(filters, ['status', 'name', 'label', 'ancestor', 'exited', 'id', 'before', 'since', 'health', 'volume', 'network', 'is-task', 'publish', 'expose']);
  // Newest first. Creation times are fixed-width RFC 3339 strings in UTC, so they sort as text.
  let recs = deps.containers.store.all().sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  const f = (k: string) => filters.get(k);
  if (!all && !limit && !f('status') && !f('exited')) recs = recs.filter((r) => isActive(r.state));
  const statuses = f('status');
  if (statuses) {
    for (const s of statuses) {
      if (!['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'].includes(s)) throw invalid('ERR_BAD_FILTERS', `Invalid filter 'status=${s}'`);
    }
    recs = recs.filter((r) => statuses.includes(r.state.status));
  }
  const names = f('name');
  if (names) recs = recs.filter((r) => names.some((n) => new RegExp(n).test(r.name) || new RegExp(n).test(r.name.slice(1))));
  const ids = f('id');
  if (ids) recs = recs.filter((r) => ids.some((i) => r.id.startsWith(i)));
  for (const label of f('label') ?? []) recs = recs.filter((r) => labelMatches(r.config.Labels, label));
  const exited = f('exited');
  if (exited) recs = recs.filter((r) => r.state.status === 'exited' && exited.includes(String(r.state.exitCode)));
  const ancestors = f('ancestor');
  if (ancestors) {
    const wanted = new Set<string>();
    for (const a of ancestors) {
      try {
        wanted.add(deps.images.resolve(a).id);
      } catch {
        // an unknown image is nobody's ancestor
      }
    }
    recs = recs.filter((r) => ancestry(deps, r.image).some((img) => wanted.has(img)));
  }
  for (const [key, cmp] of [['before', -1], ['since', 1]] as const) {
    for (const ref of f(key) ?? []) {
      const pivot = deps.containers.resolve(ref);
      recs = recs.filter((r) => Math.sign(Date.parse(r.created) - Date.parse(pivot.created)) === cmp);
    }
  }
  if (limit && limit > 0) recs = recs.slice(0, limit);
  const out = [];
  const imageNames = new Map<string, string>();
  for (const r of recs) out.push(containerSummary(r, deps.containers.imageName(r, imageNames), size ? await deps.sizes(r) : undefined));
  res.json(out);
}

/** An image and the images it was built from, as far as they are known locally. */
function ancestry(deps: ContainerRoutesDeps, imageId: string): string[] {
  const out: string[] = [];
  for (let id: string | undefined = imageId; id && out.length < 1000; id = deps.images.index.get(id as Digest)?.parent) out.push(id);
  return out;
}

async function create(deps: ContainerRoutesDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const body = await req.json<CreateRequest>();
  if (!body) throw invalid('ERR_BAD_JSON', 'Config cannot be empty in order to create a container');
  const name = req.query.get('name') ?? undefined;
  res.json(await deps.containers.create(body, name || undefined), 201);
}

async function wait(deps: ContainerRoutesDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const raw = req.query.get('condition') || 'not-running';
  // dockerd 20.10 treats an unknown condition as not-running.
  const condition: WaitCondition = raw === 'next-exit' || raw === 'removed' ? raw : 'not-running';
  const ac = new AbortController();
  const result = deps.containers.wait(req.params.id, condition, ac.signal);
  // The docker CLI waits for these headers before it starts the container.
  const out = res.stream('application/json');
  req.onClose(() => ac.abort());
  const r = await result;
  out.end(JSON.stringify(r) + '\n');
}

async function attach(deps: ContainerRoutesDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const rec = deps.containers.resolve(req.params.id);
  const q = req.query;
  const stream = boolParam(q, 'stream');
  const logs = boolParam(q, 'logs');
  const stdin = boolParam(q, 'stdin');
  const stdout = boolParam(q, 'stdout');
  const stderr = boolParam(q, 'stderr');
  const tty = rec.config.Tty === true;
  const detachKeys = q.get('detachKeys') ?? undefined;
  // An exited container is attached to its next start, as dockerd does (docker start -a).
  if (stream && !attachable(rec.state)) {
    throw invalid('ERR_NOT_RUNNING', 'You cannot attach to a stopped container, start it first');
  }
  // Register before answering, so a start that follows the 101 cannot be missed.
  const gone = new AbortController();
  req.onClose(() => gone.abort());
  const attached = stream ? deps.containers.attachStream(rec, gone.signal) : undefined;
  attached?.catch(() => undefined);
  const client = res.hijack();
  if (logs) {
    for await (const e of readLogs(rec.logPath, {})) {
      if ((e.stream === 'stdout' && stdout) || (e.stream === 'stderr' && stderr)) writeOutput(client.output, tty, e.stream, e.data);
    }
  }
  const a = attached ? await attached.catch(() => undefined) : undefined;
  if (!a) {
    client.output.end();
    return;
  }
  await bridge(a, client, { tty, stdout, stderr, stdin, closeStdinOnEnd: rec.config.StdinOnce === true, ...(detachKeys ? { detachKeys } : {}) });
}

async function logs(deps: ContainerRoutesDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const rec = deps.containers.resolve(req.params.id);
  const q = req.query;
  const stdout = boolParam(q, 'stdout');
  const stderr = boolParam(q, 'stderr');
  if (!stdout && !stderr) throw invalid('ERR_BAD_PARAMETER', 'Bad parameters: you must choose at least one stream');
  if (rec.hostConfig.LogConfig?.Type === 'none') {
    throw invalid('ERR_LOGS_UNAVAILABLE', 'configured logging driver does not support reading');
  }
  const follow = boolParam(q, 'follow');
  const timestamps = boolParam(q, 'timestamps');
  // --details: the log's extra attributes and a space before each line (berth records none yet)
  const details = boolParam(q, 'details') ? Buffer.from(' ') : undefined;
  const tailText = q.get('tail');
  const tail = tailText && tailText !== 'all' ? Number(tailText) : undefined;
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw invalid('ERR_BAD_PARAMETER', `invalid value for tail: ${tailText}`);
  const sinceNs = timeParam(q, 'since');
  const untilNs = timeParam(q, 'until');
  const tty = rec.config.Tty === true;
  const ac = new AbortController();
  const out = res.stream(undefined);
  req.onClose(() => ac.abort());
  try {
    for await (const e of readLogs(rec.logPath, {
      ...(tail !== undefined ? { tail } : {}),
      ...(sinceNs !== undefined ? { sinceNs } : {}),
      ...(untilNs !== undefined ? { untilNs } : {}),
      follow: follow && isActive(rec.state),
      stopped: deps.containers.stopped(rec),
      signal: ac.signal,
    })) {
      if ((e.stream === 'stdout' && !stdout) || (e.stream === 'stderr' && !stderr)) continue;
      const line = details ? Buffer.concat([details, e.data]) : e.data;
      const data = timestamps ? Buffer.concat([Buffer.from(`${formatTimestampNs(e.timeNs)} `), line]) : line;
      if (!writeOutput(out, tty, e.stream, data)) await new Promise((r) => out.once('drain', r));
    }
  } catch (e) {
    if (!ac.signal.aborted) writeOutput(out, false, 'system', Buffer.from(toBerthError(e).message));
  }
  out.end();
}

async function execStart(deps: ContainerRoutesDeps, req: ApiRequest, res: ApiResponse): Promise<void> {
  const body = (await req.json<{ Detach?: boolean; Tty?: boolean }>()) ?? {};
  const e = deps.execs.get(req.params.id);
  if (body.Detach) {
    await deps.execs.start(e.id, false);
    res.empty(200);
    return;
  }
  let started;
  const retry = e.started;
  try {
    started = await deps.execs.start(e.id, true);
  } catch (err) {
    // dockerd upgrades first and reports a process that could not start inside the stream (the
    // docker CLI prints it and exits with the exec's 126); checks before that stay HTTP errors.
    if (retry || !deps.execs.get(e.id).failedToStart) throw err;
    const client = res.hijack();
    writeOutput(client.output, e.config.Tty === true, 'stdout', Buffer.from(`${toBerthError(err).message}\r\n`));
    client.output.end();
    return;
  }
  const client = res.hijack();
  if (!started.stream) {
    await started.done;
    client.output.end();
    return;
  }
  await bridge(started.stream, client, {
    tty: e.config.Tty === true,
    stdout: e.config.AttachStdout !== false,
    stderr: e.config.AttachStderr !== false,
    stdin: e.config.AttachStdin === true,
    closeStdinOnEnd: true,
    ...(e.config.DetachKeys ? { detachKeys: e.config.DetachKeys } : {}),
  });
}

function sizeParams(req: ApiRequest): { h: number; w: number } {
  const h = intParam(req.query, 'h');
  const w = intParam(req.query, 'w');
  if (h === undefined || w === undefined || h < 0 || w < 0) throw invalid('ERR_BAD_PARAMETER', 'invalid height or width');
  return { h, w };
}

export function containerRoutes(deps: ContainerRoutesDeps): Route[] {
  const { containers, execs } = deps;
  const id = (req: ApiRequest) => req.params.id;
  return [
    { method: 'GET', pattern: '/containers/json', handler: (req, res) => list(deps, req, res) },
    { method: 'POST', pattern: '/containers/create', handler: (req, res) => create(deps, req, res) },
    {
      method: 'GET',
      pattern: '/containers/{id}/json',
      handler: async (req, res) => {
        const rec = containers.resolve(id(req));
        const sizes = boolParam(req.query, 'size') ? await deps.sizes(rec) : undefined;
        res.json(containerInspect(rec, { dir: containers.dir(rec.id), graphDriver: deps.graphDriver(rec) }, execs.idsOf(rec.id), sizes));
      },
    },
    { method: 'POST', pattern: '/containers/{id}/start', handler: async (req, res) => res.empty((await containers.start(id(req))) === 'already' ? 304 : 204) },
    {
      method: 'POST',
      pattern: '/containers/{id}/stop',
      handler: async (req, res) => res.empty((await containers.stop(id(req), intParam(req.query, 't'), req.query.get('signal') ?? undefined)) === 'already' ? 304 : 204),
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/restart',
      handler: async (req, res) => {
        await containers.restart(id(req), intParam(req.query, 't'));
        res.empty(204);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/kill',
      handler: async (req, res) => {
        await containers.kill(id(req), req.query.get('signal') || 'KILL');
        res.empty(204);
      },
    },
    { method: 'POST', pattern: '/containers/{id}/pause', handler: async (req, res) => res.empty((await containers.pause(id(req)), 204)) },
    { method: 'POST', pattern: '/containers/{id}/unpause', handler: async (req, res) => res.empty((await containers.unpause(id(req)), 204)) },
    { method: 'POST', pattern: '/containers/{id}/wait', handler: (req, res) => wait(deps, req, res) },
    {
      method: 'DELETE',
      pattern: '/containers/{id}',
      handler: async (req, res) => {
        const rec = containers.resolve(id(req));
        await containers.remove(rec.id, { force: boolParam(req.query, 'force') });
        execs.forgetContainer(rec.id);
        res.empty(204);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/rename',
      handler: async (req, res) => {
        await containers.rename(id(req), req.query.get('name') ?? '');
        res.empty(204);
      },
    },
    { method: 'POST', pattern: '/containers/{id}/attach', handler: (req, res) => attach(deps, req, res) },
    { method: 'GET', pattern: '/containers/{id}/logs', handler: (req, res) => logs(deps, req, res) },
    {
      method: 'POST',
      pattern: '/containers/{id}/resize',
      handler: async (req, res) => {
        const { h, w } = sizeParams(req);
        await containers.resize(id(req), h, w);
        res.send('', 'text/plain; charset=utf-8');
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/exec',
      handler: async (req, res) => {
        const body = await req.json<ExecConfig>();
        if (!body) throw invalid('ERR_BAD_JSON', 'exec config cannot be empty');
        res.json({ Id: await execs.create(id(req), body) }, 201);
      },
    },
    { method: 'POST', pattern: '/exec/{id}/start', handler: (req, res) => execStart(deps, req, res) },
    {
      method: 'POST',
      pattern: '/exec/{id}/resize',
      handler: async (req, res) => {
        const { h, w } = sizeParams(req);
        await execs.resize(id(req), h, w);
        res.send('', 'text/plain; charset=utf-8');
      },
    },
    { method: 'GET', pattern: '/exec/{id}/json', handler: (req, res) => res.json(execs.inspect(id(req))) },
    {
      method: 'GET',
      pattern: '/containers/{id}/attach/ws',
      handler: () => {
        throw notFound('ERR_NOT_SUPPORTED', 'websocket attach is not supported by berthd');
      },
    },
  ];
}
