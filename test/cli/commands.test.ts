/**
 * The other container commands against a recording engine, docker CLI 28 as the oracle:
 * lifecycle verbs over several containers, ps formats, generic inspect, top/port/diff,
 * commit/export, update, stats, events, prunes, system df, and --help texts.
 */
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { assertSameBehaviour } from './helpers/compare.js';
import type { Route, TranscriptEntry } from './helpers/fake-engine.js';
import { asBerth, playBoth, reference } from './helpers/scenario.js';

const reply = (method: string, path: RegExp, status: number, json?: unknown, body?: string): Route => ({ method, path, answer: json === undefined ? { status, body } : { status, json } });
const missing = (method: string, path: RegExp, what: string) => reply(method, path, 404, { message: `No such container: ${what}` });
const both = (args: string[], routes: Route[], opts: Parameters<typeof playBoth>[2] = {}) => playBoth(args, () => routes, opts);

/** docker runs some operations in parallel: compare their requests as a set. */
const sorted = (t: TranscriptEntry[]) => [...t].sort((a, b) => (a.request < b.request ? -1 : 1));

const FIXTURE = new URL('../../../test/cli/fixtures/containers.json', import.meta.url);
const ago = (s: number) => Math.floor(Date.now() / 1000) - s;
function containersFixture(): unknown[] {
  const list = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Array<{ Created: number; State: string }>;
  // Created times relative to now, far from bucket edges of "N ago".
  const ages = [400 * 86400, 9300, 3 * 86400 + 600, 330, 7300];
  return list.map((c, i) => ({ ...c, Created: ago(ages[i] ?? 3600) }));
}

describe('lifecycle commands like docker', { concurrency: 4 }, () => {
  const routes = [
    reply('POST', /^\/containers\/(a|c)\/(stop|kill|restart|pause|unpause|start)$/, 204),
    missing('POST', /^\/containers\/b\/(stop|kill|restart|pause|unpause|start|rename)$/, 'b'),
    reply('POST', /^\/containers\/c\/start$/, 304),
    reply('DELETE', /^\/containers\/a$/, 204),
    missing('DELETE', /^\/containers\/b$/, 'b'),
    reply('DELETE', /^\/containers\/r$/, 409, { message: 'You cannot remove a running container 2df8. Stop the container before attempting removal or force remove' }),
    reply('POST', /^\/containers\/a\/wait$/, 200, { Error: null, StatusCode: 3 }),
    missing('POST', /^\/containers\/b\/wait$/, 'b'),
    reply('POST', /^\/containers\/a\/rename$/, 204),
    reply('POST', /^\/containers\/a\/update$/, 200, { Warnings: ['Published ports are discarded when using host network mode'] }),
    missing('POST', /^\/containers\/b\/update$/, 'b'),
  ];
  const cases: string[][] = [
    ['stop', 'a'],
    ['stop', '-t', '1', '-s', 'KILL', 'a'],
    ['stop', '--time', '2', 'a'],
    ['stop', 'a', 'b'],
    ['kill', 'a', 'b'],
    ['kill', '-s', 'HUP', 'a'],
    ['kill', '--signal=SIGTERM', 'a'],
    ['restart', '-t', '3', 'a'],
    ['restart', 'a', 'b'],
    ['pause', 'a', 'b'],
    ['unpause', 'a'],
    ['start', 'a', 'c'],
    ['start', '--checkpoint', 'x', 'a'],
    ['rm', 'a', 'b'],
    ['rm', '-f', '-v', '-l', 'a'],
    ['rm', '-f', 'a', 'b'],
    ['rm', '/a/', 'r'],
    ['wait', 'a'],
    ['wait', 'a', 'b'],
    ['rename', 'a', 'new'],
    ['rename', 'a', ' '],
    ['rename', 'b', 'x'],
    ['update', 'a'],
    ['update', '--restart', 'on-failure:x', 'a'],
    ['update', '--cpus', '1.5', '-m', '64m', '--memory-swap', '-1', '--restart', 'on-failure:2', '--pids-limit', '5', '--blkio-weight', '20', '-c', '3', '--cpuset-cpus', '0', '--cpu-rt-runtime', '4', '--memory-reservation', '1m', 'a', 'b'],
    ['container', 'stop', 'a'],
    ['stop'],
    ['rename', 'a'],
    ['kill', '--bogus', 'a'],
    ['stop', '-t', 'x', 'a'],
  ];
  for (const args of cases) {
    it(args.join(' '), async () => assertSameBehaviour(await both(args, routes), { normalize: sorted }));
  }
});

describe('ps like docker', { concurrency: 4 }, () => {
  const routes = () => [reply('GET', /^\/containers\/json$/, 200, containersFixture())];
  const cases: string[][] = [
    ['ps'],
    ['ps', '-a', '-s'],
    ['ps', '--no-trunc'],
    ['ps', '-q'],
    ['ps', '-q', '--no-trunc'],
    ['ps', '-n', '3'],
    ['ps', '-l'],
    ['ps', '-f', 'status=exited', '-f', 'name=x', '-f', 'name=y', '--filter', 'label=a=b'],
    ['ps', '--format', 'json'],
    ['ps', '--format', 'raw'],
    ['ps', '-s', '--format', 'raw'],
    ['ps', '--format', 'table'],
    ['ps', '--format', '{{.ID}} {{.Names}} {{.Size}}'],
    ['ps', '--format', 'table {{.ID}}\\t{{.CreatedAt}}\\t{{.Mounts}}\\t{{.LocalVolumes}}\\t{{.Networks}}\\t{{.State}}\\t{{.Labels}}'],
    ['ps', '--format', 'table{{.Names}}\t{{.Label "com.example.a"}}'],
    ['ps', '-q', '--format', '{{.Names}}'],
    ['ps', '-f', 'bad'],
    ['ps', 'extra'],
    ['container', 'ls', '-a'],
    ['container', 'list', '--format', '{{.Names}}'],
  ];
  for (const args of cases) it(args.join(' '), async () => assertSameBehaviour(await both(args, routes())));
});

describe('inspect like docker', { concurrency: 4 }, () => {
  const container = reference<Record<string, unknown>>('container-inspect-running.response.json');
  const image = reference<Record<string, unknown>>('image-inspect.response.json');
  const routes = [
    reply('GET', /^\/containers\/sample-x\/json$/, 200, container),
    reply('GET', /^\/images\/busybox\/json$/, 200, image),
    reply('GET', /^\/info$/, 200, { ID: 'x', Swarm: { LocalNodeState: 'inactive' } }),
    reply('GET', /^\/containers\/bad\/json$/, 500, { message: 'boom' }),
    missing('GET', /^\/containers\/[^/]+\/json$/, 'nope'),
    reply('GET', /^\/images\/[^/]+\/json$/, 404, { message: 'no such image: nope: No such image: nope:latest' }),
  ];
  const cases: string[][] = [
    ['inspect', 'sample-x'],
    ['inspect', 'busybox', 'sample-x'],
    ['inspect', 'nope'],
    ['inspect', 'nope1', 'sample-x', 'nope2'],
    ['inspect', '-f', '{{.Name}} {{.State.Status}} {{json .Config.Cmd}}', 'sample-x'],
    ['inspect', '--format', 'json', 'sample-x'],
    ['inspect', '-s', 'sample-x'],
    ['inspect', '--type', 'container', 'nope', 'sample-x'],
    ['inspect', '--type', 'image', 'busybox'],
    ['inspect', '--type', 'foo', 'x'],
    ['inspect', 'bad', 'sample-x'],
    ['container', 'inspect', 'sample-x'],
    ['container', 'inspect', 'nope'],
    ['inspect'],
  ];
  for (const args of cases) it(args.join(' '), async () => assertSameBehaviour(await both(args, routes)));
});

describe('top, port, diff, commit, export like docker', { concurrency: 4 }, () => {
  const routes = [
    reply('POST', /^\/commit$/, 201, { Id: 'sha256:19e92472fc297200fc0f675240460f46f1e69dcd1e56c2ecc741c416d0abac1d' }),
    reply('GET', /^\/containers\/c1\/json$/, 200, {
      Id: 'c1',
      Config: { Tty: false },
      NetworkSettings: {
        Ports: {
          '80/tcp': [
            { HostIp: '0.0.0.0', HostPort: '8080' },
            { HostIp: '::', HostPort: '8080' },
          ],
          '9/tcp': [{ HostIp: '0.0.0.0', HostPort: '9' }],
          '53/udp': null,
          '10/tcp': [{ HostIp: '127.0.0.1', HostPort: '10' }],
        },
      },
    }),
    reply('GET', /^\/containers\/c1\/export$/, 200, undefined, 'TARDATA'),
    reply('GET', /^\/containers\/c1\/top$/, 200, {
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [
        ['root', '17318', '17297', '0', '20:03', '?', '00:00:00', 'busybox sleep 100'],
        ['root', '17400', '17318', '0', '20:04', 'pts/0', '00:00:00', 'sh'],
      ],
    }),
    reply('GET', /^\/containers\/c1\/changes$/, 200, [
      { Kind: 0, Path: '/etc' },
      { Kind: 1, Path: '/etc/x' },
      { Kind: 2, Path: '/tmp/y' },
    ]),
    reply('GET', /^\/containers\/stopped\/top$/, 409, { message: 'Container 51c6 is not running' }),
    missing('GET', /^\/containers\/nope\/(json|top|changes|export)$/, 'nope'),
    missing('POST', /^\/commit$/, 'nope'),
  ];
  const cases: string[][] = [
    ['top', 'c1'],
    ['top', 'c1', '-ef', 'aux'],
    ['top', 'stopped'],
    ['diff', 'c1'],
    ['port', 'c1'],
    ['port', 'c1', '80'],
    ['port', 'c1', '80/tcp'],
    ['port', 'c1', '53/udp'],
    ['port', 'c1', 'x'],
    ['port', 'nope'],
    ['commit', 'c1'],
    ['commit', '-a', 'me', '-m', 'msg', '-c', 'EXPOSE 80', '-c', 'ENV A=1', '--pause=false', 'c1', 'repo/x:v2'],
    ['commit', 'c1', '127.0.0.1:5000/x'],
    ['commit', 'nope'],
    ['export', 'c1'],
    ['export', '-o', 'out.tar', 'c1'],
    ['export', 'nope'],
    ['diff', 'nope'],
  ];
  for (const args of cases) it(args.join(' '), async () => assertSameBehaviour(await both(args, routes)));
});

describe('stats, events, prune and system df like docker', { concurrency: 4 }, () => {
  const stats = {
    read: '2026-11-26T20:10:00.000000000Z',
    pids_stats: { current: 3 },
    blkio_stats: { io_service_bytes_recursive: [{ major: 8, minor: 0, op: 'read', value: 4096 }, { major: 8, minor: 0, op: 'write', value: 8192 }] },
    cpu_stats: { cpu_usage: { total_usage: 2000000000 }, system_cpu_usage: 20000000000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 1000000000 }, system_cpu_usage: 10000000000 },
    memory_stats: { usage: 10485760, stats: { inactive_file: 1048576 }, limit: 2147483648 },
    name: '/sample-x',
    id: 'feaaab4ba939c9cd13b03289f3f94c63932dffacb801a33d99ff2ffdd4970ab8',
    networks: { eth0: { rx_bytes: 1296, tx_bytes: 0 } },
  };
  const statsRoutes = () => [
    reply('GET', /^\/containers\/json$/, 200, containersFixture().slice(1, 2)),
    missing('GET', /^\/containers\/nope\/stats$/, 'nope'),
    reply('GET', /^\/containers\/[^/]+\/stats$/, 200, stats),
  ];
  for (const args of [
    ['stats', '--no-stream'],
    ['stats', '--no-stream', '-a'],
    ['stats', '--no-stream', 'sample-x'],
    ['stats', '--no-stream', 'nope'],
    ['stats', '--no-stream', '--no-trunc', '--format', 'json'],
    ['stats', '--no-stream', '--format', 'table {{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.PIDs}}'],
    ['container', 'stats', '--no-stream', '--format', '{{.Container}}: {{.NetIO}} {{.BlockIO}} {{.MemPerc}}'],
  ]) {
    it(args.join(' '), async () => assertSameBehaviour(await both(args, statsRoutes()), { normalize: sorted }));
  }

  const event = (t: bigint, type: string, action: string, id: string, attrs: Record<string, string>) =>
    `{"status":"${action}","id":"${id}","from":"${attrs.image ?? ''}","Type":"${type}","Action":"${action}","Actor":{"ID":"${id}","Attributes":${JSON.stringify(attrs)}},"scope":"local","time":${t / 1000000000n},"timeNano":${t}}\n`;
  const eventRoutes = (keepOpen: boolean): Route[] => [
    {
      method: 'GET',
      path: /^\/events$/,
      answer: {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        chunks: [
          event(1795723416143173927n, 'container', 'create', 'feaaab4ba939c9cd13b03289f3f94c63932dffacb801a33d99ff2ffdd4970ab8', { image: 'busybox', name: 'sample-x' }),
          event(1795723417000000001n, 'container', 'start', 'feaaab4ba939c9cd13b03289f3f94c63932dffacb801a33d99ff2ffdd4970ab8', { name: 'sample-x', image: 'busybox', 'com.example.z': 'a<b' }),
          event(1795723418999999999n, 'image', 'tag', 'sha256:19e9', { name: 'busybox:v2' }),
        ],
        chunkDelayMs: 5,
        keepOpen,
      },
    },
  ];
  for (const args of [
    ['events'],
    ['events', '--since', '2026-11-26T20:00:00Z', '--until', '1795723500'],
    ['events', '--format', 'json', '-f', 'type=container', '-f', 'event=start'],
    ['events', '--format', '{{.Type}}/{{.Action}}/{{.Actor.Attributes.name}}'],
    ['events', '--since', '10x'],
    ['system', 'events', '--until', '2026-11-26'],
  ]) {
    it(args.join(' '), async () => assertSameBehaviour(await both(args, eventRoutes(false))));
  }
  it('events until Ctrl-C exits 130', async () => {
    assertSameBehaviour(await both(['events'], eventRoutes(true), { signal: 'SIGINT', signalWhen: (r) => r.url.includes('/events') }));
  });

  const pruneRoutes = [
    reply('POST', /^\/containers\/prune$/, 200, { ContainersDeleted: ['c1'], SpaceReclaimed: 100 }),
    reply('POST', /^\/networks\/prune$/, 200, { NetworksDeleted: ['n1'] }),
    reply('POST', /^\/volumes\/prune$/, 200, { VolumesDeleted: ['v1'], SpaceReclaimed: 200 }),
    reply('POST', /^\/images\/prune$/, 200, { ImagesDeleted: [{ Untagged: 'busybox:latest' }, { Deleted: 'sha256:aaa' }], SpaceReclaimed: 300 }),
    reply('POST', /^\/build\/prune$/, 200, { CachesDeleted: ['x1'], SpaceReclaimed: 400 }),
  ];
  for (const [args, stdin] of [
    [['container', 'prune', '-f'], ''],
    [['container', 'prune', '-f', '--filter', 'until=24h', '--filter', 'label=a'], ''],
    [['container', 'prune'], 'n\n'],
    [['container', 'prune'], 'y\n'],
    [['system', 'prune', '-f'], ''],
    [['system', 'prune', '-a', '-f', '--volumes'], ''],
    [['system', 'prune', '-f', '--filter', 'until=1h'], ''],
    [['system', 'prune', '--filter', 'label=a', '-a'], 'n\n'],
    [['system', 'prune'], 'y\n'],
  ] as Array<[string[], string]>) {
    it(`${args.join(' ')} <<< ${JSON.stringify(stdin)}`, async () => assertSameBehaviour(await both(args, pruneRoutes, { stdin })));
  }

  const image = (id: string, tags: string[], digests: string[] | null, size: number, containers: number) => ({
    Containers: containers,
    Created: ago(4000),
    Id: id,
    Labels: null,
    ParentId: '',
    RepoDigests: digests,
    RepoTags: tags,
    SharedSize: 0,
    Size: size,
    VirtualSize: size,
  });
  const df = () => ({
    LayersSize: 6982312,
    Images: [
      image('sha256:19e92472fc297200fc0f675240460f46f1e69dcd1e56c2ecc741c416d0abac1d', ['busybox:latest'], null, 1982312, 1),
      image('sha256:aaaa472fc297200fc0f675240460f46f1e69dcd1e56c2ecc741c416d0abac1d', ['<none>:<none>'], ['<none>@<none>'], 5000000, 0),
    ],
    Containers: containersFixture().slice(1, 4),
    Volumes: [
      { Name: 'vol1', Driver: 'local', Mountpoint: '/x', UsageData: { RefCount: 1, Size: 2048 } },
      { Name: 'vol2', Driver: 'local', Mountpoint: '/y', UsageData: { RefCount: 0, Size: -1 } },
    ],
    BuildCache: [],
    BuilderSize: 0,
  });
  for (const args of [['system', 'df'], ['system', 'df', '-v'], ['system', 'df', '--format', 'json'], ['system', 'df', '--format', '{{.Type}}:{{.Size}}:{{.Reclaimable}}']]) {
    it(args.join(' '), async () => assertSameBehaviour(await both(args, [reply('GET', /^\/system\/df$/, 200, df())])));
  }
});

describe('--help like docker', { concurrency: 4 }, () => {
  const docs = (s: string) => asBerth(s).replace(/docs\.berth\.com/g, 'docs.docker.com');
  for (const cmd of ['run', 'create', 'ps', 'stop', 'restart', 'kill', 'logs', 'exec', 'inspect', 'top', 'attach', 'stats', 'commit', 'update', 'events', 'start', 'rm', 'wait', 'port', 'export', 'container prune', 'system prune', 'system df', 'container ls']) {
    it(`${cmd} --help`, async () => assertSameBehaviour(await both([...cmd.split(' '), '--help'], []), { output: docs }));
  }
});
