/**
 * Import benchmark: GNU `tar -x` against berth's safe extractor on the same ~200 MB rootfs tar,
 * plain and gzip, in the same run, alternating, median of several runs.
 *
 *   node dist/bench/import/import-bench.js [--runs N] [--dir DIR] [--write-doc]
 *
 * Each run extracts into a fresh directory on DIR's filesystem (default /var/tmp, the same
 * kind of filesystem as /var/lib/berth) and everything is deleted only at the end: ext4 avoids
 * reusing just-deleted inodes, which makes file creation right after a big delete much slower,
 * and that would penalise whichever side ran second. `sync` between runs keeps one run's
 * writeback out of the next one's time.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { openDecompressed } from '../../src/archive/compression.js';
import { tarDirectory } from '../../src/archive/diff.js';
import { extractLayer } from '../../src/archive/extract.js';
import { OverlaySnapshotter } from '../../src/snapshot/overlay.js';
import { CACHE, ensureRootfs } from './rootfs.js';

interface Args {
  runs: number;
  dir: string;
  writeDoc: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 5, dir: '/var/tmp', writeDoc: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') args.runs = Number(argv[++i]);
    else if (argv[i] === '--dir') args.dir = argv[++i];
    else if (argv[i] === '--write-doc') args.writeDoc = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  execFileSync('sync');
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rootfs = await ensureRootfs();
  const tarBytes = statSync(rootfs.tar).size;
  const gzBytes = statSync(rootfs.gz).size;
  const entries = execFileSync('tar', ['-tf', rootfs.tar], { maxBuffer: 1 << 28 }).toString().trim().split('\n').length;
  const work = `${args.dir}/berth-import-bench-${process.pid}`;
  await mkdir(work, { recursive: true });
  let n = 0;
  const fresh = () => `${work}/t${n++}`;
  const times: Record<string, number[]> = { tarPlain: [], berthPlain: [], tarGzip: [], berthGzip: [], tarSync: [], berthApply: [], tarExport: [], berthExport: [] };
  try {
    for (let r = 0; r < args.runs; r++) {
      let d = fresh();
      await mkdir(d);
      times.tarPlain.push(await timeIt(() => run('tar', ['-C', d, '-xf', rootfs.tar])));
      // export (docker export, commit): tar the tree just extracted, the bytes read by a consumer
      const tree = d;
      times.tarExport.push(await timeIt(() => run('sh', ['-c', `tar -C '${tree}' -cf - . | cat > /dev/null`])));
      times.berthExport.push(
        await timeIt(async () => {
          for await (const chunk of tarDirectory(tree)) void chunk;
        }),
      );
      d = fresh();
      times.berthPlain.push(await timeIt(() => extractLayer(createReadStream(rootfs.tar, { highWaterMark: 1 << 20 }), d)));
      d = fresh();
      await mkdir(d);
      times.tarGzip.push(await timeIt(() => run('tar', ['-C', d, '-xzf', rootfs.gz])));
      d = fresh();
      times.berthGzip.push(
        await timeIt(async () => {
          const { stream } = await openDecompressed(createReadStream(rootfs.gz, { highWaterMark: 1 << 20 }));
          await extractLayer(stream, d);
        }),
      );
      // the whole import step with durability: GNU tar then sync(1) vs applyLayer (syncfs)
      d = fresh();
      await mkdir(d);
      times.tarSync.push(await timeIt(() => run('sh', ['-c', `tar -C '${d}' -xf '${rootfs.tar}' && sync`])));
      // a snapshotter per run, so the layer is new to it each time (and nothing is deleted yet)
      const snaps = await OverlaySnapshotter.open(`${fresh()}`, { sync: true });
      times.berthApply.push(await timeIt(() => snaps.applyLayer(undefined, createReadStream(rootfs.tar, { highWaterMark: 1 << 20 }))));
      process.stderr.write(`run ${r + 1}/${args.runs}: ${Object.entries(times).map(([k, v]) => `${k} ${v[v.length - 1].toFixed(2)}s`).join(', ')}\n`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const mb = tarBytes / 1e6;
  const row = (label: string, ours: string, base: string) => {
    const o = median(times[ours]);
    const b = median(times[base]);
    return `| ${label} | ${b.toFixed(2)} s (${(mb / b).toFixed(0)} MB/s) | ${o.toFixed(2)} s (${(mb / o).toFixed(0)} MB/s) | ${(b / o).toFixed(2)}x |`;
  };
  const cpus = execFileSync('nproc').toString().trim();
  const kernel = execFileSync('uname', ['-r']).toString().trim();
  const report = [
    `Input: ${rootfs.source}; ${(tarBytes / 1e6).toFixed(0)} MB tar, ${entries} entries; gzip -6 ${(gzBytes / 1e6).toFixed(0)} MB.`,
    `Machine: ${cpus} CPUs, Linux ${kernel}, target filesystem ${execFileSync('findmnt', ['-n', '-o', 'FSTYPE,OPTIONS', '--target', args.dir]).toString().trim().replace(/\s+/, ' ')} (${args.dir}); median of ${args.runs} alternating runs.`,
    '',
    '| import of the rootfs | GNU tar | berth | speed vs GNU tar |',
    '|---|---|---|---|',
    row('plain tar (`tar -xf` vs extractLayer)', 'berthPlain', 'tarPlain'),
    row('gzip (`tar -xzf` vs gunzip + extractLayer)', 'berthGzip', 'tarGzip'),
    row('durable (`tar -xf && sync` vs applyLayer with syncfs)', 'berthApply', 'tarSync'),
    row('export of the extracted tree (`tar -cf -` vs tarDirectory)', 'berthExport', 'tarExport'),
    '',
    `Runs (s): ${Object.entries(times)
      .map(([k, v]) => `${k} ${v.map((x) => x.toFixed(2)).join('/')}`)
      .join('; ')}`,
  ].join('\n');
  console.log(report);
  if (args.writeDoc) await writeDoc(report, args.runs);
}

async function writeDoc(report: string, runs: number): Promise<void> {
  const doc = `# Import benchmark

\`node dist/bench/import/import-bench.js --runs ${runs} --write-doc\` (bench/import/) extracts the same
rootfs tar with GNU tar and with berth's safe extractor, alternating, and prints the medians.
The rootfs is cached in ${CACHE}. "speed vs GNU tar" is GNU tar's time divided by berth's:
above 1 berth is faster. The goal is 0.7x or better.

${report}

What the figures include: berth's time is the whole \`extractLayer\` call in a running process
(worker thread start, reading with 1 MiB chunks, sha256 of every byte for the diffID, every
safety check of runtime.md 4.2, ownership/modes/times/xattrs). GNU tar's is the whole process.
The durable row adds what an import really needs: the files on disk before the snapshot is
recorded (syncfs for berth, sync(1) after GNU tar). The export row is the other direction
(\`docker export\`, commit): the same tree back into a tar stream, read to the end.

On this class of VM nearly all of both sides' time is the kernel creating inodes (ext4 with
\`discard\`; creation is several times slower right after large deletions, see the comment in
import-bench.ts), so single runs vary a lot; compare the columns of one run, not runs of
different days.
`;
  await writeFile(new URL('../../../docs/import-bench.md', import.meta.url), doc);
}

await main();
