/**
 * Registry benchmark: berth registry and distribution 2.8.2 side by side in one run, on loopback.
 *
 *   node dist/bench/registry/registry-bench.js [--runs N] [--dir DIR] [--size-mb 256] [--requests 4000]
 *
 * - upload: `curl -T` of a fresh random blob (new bytes every run, so neither side can skip the
 *   write because it has the blob already) to the Location of a POST, as `PUT ?digest=`;
 * - download: `curl` GET of that blob to /dev/null;
 * - blob HEAD/s and manifest GET/s: 32 keep-alive Node clients, a bounded number of requests;
 * - memory: the server's RSS (from /proc) sampled while it receives and while it serves a 1 GB blob,
 *   and while it serves the 256 MB one, to show whether memory grows with the blob.
 * Both servers are warmed up the same way first. Runs alternate which registry goes first;
 * figures are medians. `sync` before every measurement keeps one side's writeback out of the
 * other's time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import * as http from 'node:http';
import { join } from 'node:path';
import { runLoad } from './loadgen.js';
import { startBerth, startDistribution, type BenchServer } from './servers.js';

interface Args {
  runs: number;
  dir: string;
  sizeMb: number;
  requests: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 5, dir: '/var/tmp/berth-registry-bench', sizeMb: 256, requests: 4000 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[++i];
    if (argv[i - 1] === '--runs') args.runs = Number(v);
    else if (argv[i - 1] === '--dir') args.dir = v;
    else if (argv[i - 1] === '--size-mb') args.sizeMb = Number(v);
    else if (argv[i - 1] === '--requests') args.requests = Number(v);
    else throw new Error(`unknown argument ${argv[i - 1]}`);
  }
  return args;
}

const MB = 1_000_000;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A file of `bytes` random bytes, written in 8 MiB pieces; returns its sha256 digest. */
async function randomFile(path: string, bytes: number): Promise<string> {
  const fh = await open(path, 'w');
  const hash = createHash('sha256');
  const buf = Buffer.alloc(8 << 20);
  for (let done = 0; done < bytes; ) {
    const n = Math.min(buf.length, bytes - done);
    randomFillSync(buf, 0, n);
    hash.update(buf.subarray(0, n));
    await fh.write(buf, 0, n);
    done += n;
  }
  await fh.close();
  return `sha256:${hash.digest('hex')}`;
}

function httpRequest(url: string, method: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'Content-Length': body?.length ?? 0, ...headers }, agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** Open an upload session; its absolute Location. */
async function startUpload(server: BenchServer, repo: string): Promise<string> {
  const r = await httpRequest(`${server.url}/v2/${repo}/blobs/uploads/`, 'POST');
  if (r.status !== 202) throw new Error(`${server.name}: upload POST answered ${r.status}`);
  return new URL(String(r.headers.location), server.url).href;
}

async function pushSmall(server: BenchServer, repo: string, data: Buffer): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const loc = new URL(await startUpload(server, repo));
  loc.searchParams.set('digest', digest);
  const r = await httpRequest(loc.href, 'PUT', data, { 'Content-Type': 'application/octet-stream' });
  if (r.status !== 201) throw new Error(`${server.name}: blob PUT answered ${r.status}`);
  return digest;
}

function curl(args: string[]): Promise<{ code: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', ...args], (err, stdout) => {
      if (err) return reject(err);
      const [code, seconds] = stdout.trim().split(' ');
      resolve({ code, seconds: Number(seconds) });
    });
  });
}

function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

/** Peak RSS of `pid` (bytes) while `work` runs, sampled every 20 ms from /proc. */
async function peakRss<T>(pid: number, work: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = rssOf(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
  try {
    const value = await work();
    return { value, peak: Math.max(peak, rssOf(pid)) };
  } finally {
    clearInterval(timer);
  }
}

interface Figures {
  upload: number[];
  download: number[];
  head: number[];
  manifest: number[];
  rssIdle: number;
  rssUpload1g: number;
  rssDownload1g: number;
  rssDownloadSmall: number;
}

async function transfer(server: BenchServer, file: string, digest: string, bytes: number, repo: string): Promise<{ up: number; down: number; downPeak: number }> {
  const loc = new URL(await startUpload(server, repo));
  loc.searchParams.set('digest', digest);
  execFileSync('sync');
  const up = await curl(['-T', file, '-X', 'PUT', '-H', 'Content-Type: application/octet-stream', loc.href]);
  if (up.code !== '201') throw new Error(`${server.name}: upload answered ${up.code}`);
  execFileSync('sync');
  const down = await peakRss(server.pid, () => curl([`${server.url}/v2/${repo}/blobs/${digest}`]));
  if (down.value.code !== '200') throw new Error(`${server.name}: download answered ${down.value.code}`);
  return { up: bytes / MB / up.seconds, down: bytes / MB / down.value.seconds, downPeak: down.peak };
}

async function requestRates(server: BenchServer, requests: number, repo = 'bench/rates'): Promise<{ head: number; manifest: number }> {
  const config = await pushSmall(server, repo, Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 79 },
      layers: [],
    }),
  );
  const put = await httpRequest(`${server.url}/v2/${repo}/manifests/v1`, 'PUT', manifest, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
  if (put.status !== 201) throw new Error(`${server.name}: manifest PUT answered ${put.status}`);
  const common = { concurrency: 32, total: requests, maxSeconds: 20, expectStatus: 200 };
  execFileSync('sync');
  const head = await runLoad({ ...common, url: `${server.url}/v2/${repo}/blobs/${config}`, method: 'HEAD' });
  const get = await runLoad({ ...common, url: `${server.url}/v2/${repo}/manifests/v1`, method: 'GET', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
  if (head.errors || get.errors) throw new Error(`${server.name}: ${head.errors + get.errors} failed requests`);
  return { head: head.perSecond, manifest: get.perSecond };
}

function row(label: string, b: number, d: number, unit: string, goal: string, digits = 0): string {
  const ratio = d > 0 ? `${(b / d).toFixed(2)}x` : '-';
  return `| ${label} | ${b.toFixed(digits)} ${unit} | ${d.toFixed(digits)} ${unit} | ${ratio} | ${goal} |`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await rm(args.dir, { recursive: true, force: true });
  await mkdir(args.dir, { recursive: true });
  const bytes = args.sizeMb * MB;
  const berth = await startBerth(join(args.dir, 'berth'));
  const dist = await startDistribution(join(args.dir, 'distribution'));
  const servers = [berth, dist];
  const figures = new Map<BenchServer, Figures>(servers.map((s) => [s, { upload: [], download: [], head: [], manifest: [], rssIdle: 0, rssUpload1g: 0, rssDownload1g: 0, rssDownloadSmall: 0 }]));
  try {
    for (const s of servers) figures.get(s)!.rssIdle = rssOf(s.pid);
    // Warm-up, the same for both: one small transfer and a round of requests (JIT, caches, threads).
    const warm = join(args.dir, 'warm');
    const warmDigest = await randomFile(warm, 16 * MB);
    for (const s of servers) {
      await transfer(s, warm, warmDigest, 16 * MB, 'bench/warm');
      await requestRates(s, 1000, 'bench/warm');
    }
    await rm(warm);
    for (let run = 0; run < args.runs; run++) {
      const file = join(args.dir, `blob-${run}`);
      const digest = await randomFile(file, bytes);
      const order = run % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) {
        const f = figures.get(s)!;
        const t = await transfer(s, file, digest, bytes, `bench/run${run}`);
        f.upload.push(t.up);
        f.download.push(t.down);
        f.rssDownloadSmall = Math.max(f.rssDownloadSmall, t.downPeak);
        const rates = await requestRates(s, args.requests);
        f.head.push(rates.head);
        f.manifest.push(rates.manifest);
        process.stderr.write(`run ${run + 1}/${args.runs} ${s.name}: up ${t.up.toFixed(0)} MB/s, down ${t.down.toFixed(0)} MB/s, HEAD ${rates.head.toFixed(0)}/s, manifest GET ${rates.manifest.toFixed(0)}/s\n`);
      }
      await rm(file);
    }
    // Memory with a 1 GB blob, received and served.
    const big = join(args.dir, 'blob-1g');
    const bigDigest = await randomFile(big, 1000 * MB);
    for (const s of servers) {
      const f = figures.get(s)!;
      const loc = new URL(await startUpload(s, 'bench/big'));
      loc.searchParams.set('digest', bigDigest);
      execFileSync('sync');
      const up = await peakRss(s.pid, () => curl(['-T', big, '-X', 'PUT', loc.href]));
      if (up.value.code !== '201') throw new Error(`${s.name}: 1 GB upload answered ${up.value.code}`);
      f.rssUpload1g = up.peak;
      const down = await peakRss(s.pid, () => curl([`${s.url}/v2/bench/big/blobs/${bigDigest}`]));
      f.rssDownload1g = down.peak;
    }
    await rm(big);
  } finally {
    for (const s of servers) await s.stop();
  }

  const b = figures.get(berth)!;
  const d = figures.get(dist)!;
  const mib = (x: number) => x / (1 << 20);
  const lines = [
    `| ${args.runs} runs, medians | berth registry | distribution 2.8.2 | berth / distribution | goal |`,
    '|---|---|---|---|---|',
    row(`upload ${args.sizeMb} MB (curl -T)`, median(b.upload), median(d.upload), 'MB/s', '>= 1.5x'),
    row(`download ${args.sizeMb} MB (curl)`, median(b.download), median(d.download), 'MB/s', '>= 1x'),
    row('blob HEAD, 32 clients', median(b.head), median(d.head), 'req/s', '>= 3x'),
    row('manifest GET by tag, 32 clients', median(b.manifest), median(d.manifest), 'req/s', '>= 3x'),
    row('RSS idle', mib(b.rssIdle), mib(d.rssIdle), 'MiB', ''),
    row(`RSS peak serving ${args.sizeMb} MB`, mib(b.rssDownloadSmall), mib(d.rssDownloadSmall), 'MiB', ''),
    row('RSS peak serving 1 GB', mib(b.rssDownload1g), mib(d.rssDownload1g), 'MiB', 'flat in blob size'),
    row('RSS peak receiving 1 GB', mib(b.rssUpload1g), mib(d.rssUpload1g), 'MiB', 'flat in blob size'),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  await rm(args.dir, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  process.stderr.write(`registry-bench: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
