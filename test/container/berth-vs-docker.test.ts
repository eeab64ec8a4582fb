/**
 * berth and the docker CLI side by side against the same real berthd: for each command, the same
 * output and the same exit status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth, docker, run, startDaemon, timeless, type RunResult, type TestDaemon } from '../helpers/daemon.js';
import { busyboxTar } from '../helpers/images.js';

let d: TestDaemon;

async function both(args: string[], input?: string): Promise<{ b: RunResult; k: RunResult }> {
  const opts = input === undefined ? {} : { input };
  const k = await docker(d, args, opts);
  const b = await berth(d, args, opts);
  return { b, k };
}

async function same(args: string[], input?: string): Promise<RunResult> {
  const { b, k } = await both(args, input);
  assert.equal(timeless(b.stdout), timeless(k.stdout), `stdout of ${args.join(' ')}`);
  assert.equal(b.code, k.code, `exit status of ${args.join(' ')}: ${b.stderr} / ${k.stderr}`);
  return b;
}

describe('berth prints what the docker CLI prints', () => {
  before(async () => {
    d = await startDaemon(undefined);
    const r = await berth(d, ['import', '--change', 'CMD ["sh"]', '-', 'busybox:latest'], { input: busyboxTar() });
    assert.equal(r.code, 0, r.stderr);
    await docker(d, ['run', '-d', '--name', 'svc', '-l', 'role=web', 'busybox', 'sh', '-c', 'echo started; echo oops >&2; touch /tmp/new; sleep 1000']);
    await docker(d, ['run', '--name', 'done', 'busybox', 'sh', '-c', 'echo bye; exit 3']);
  });
  after(async () => {
    const ids = (await docker(d, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(d, ['rm', '-f', ...ids]);
    await d.stop();
    await run('rm', ['-rf', d.dir]);
  });

  it('lists: ps, images, history', async () => {
    await same(['ps']);
    await same(['ps', '-a']);
    await same(['ps', '-aq']);
    await same(['ps', '-a', '--no-trunc']);
    await same(['ps', '--filter', 'label=role=web', '--format', '{{.Names}} {{.Labels}}']);
    await same(['ps', '-a', '--filter', 'exited=3', '--format', 'json']);
    await same(['images']);
    await same(['images', '-q']);
    await same(['images', '--digests']);
    await same(['history', 'busybox']);
  });

  it('lists images with -a (an untagged parent shows) and as JSON', async () => {
    const ok = async (args: string[]) => {
      const r = await docker(d, args);
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    };
    await ok(['commit', 'done', 'mid:v1']);
    await ok(['create', '--name', 'from-mid', 'mid:v1', 'true']);
    await ok(['commit', 'from-mid', 'top:v1']);
    await ok(['rm', 'from-mid']);
    await ok(['rmi', 'mid:v1']); // only untags: top:v1 is its child
    const plain = await same(['images']);
    const all = await same(['images', '-a']);
    assert.equal(all.stdout.split('\n').length, plain.stdout.split('\n').length + 1, all.stdout);
    assert.match(all.stdout, /^<none>\s+<none>\s+[0-9a-f]{12}/m);
    const json = await same(['images', '--format', 'json']);
    const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { Repository: string; Tag: string });
    assert.deepEqual(rows.map((r) => `${r.Repository}:${r.Tag}`).sort(), ['busybox:latest', 'top:v1']);
    // Rows marshal as docker's do: keys in order, <none> escaped; VirtualSize is titled SIZE.
    assert.match((await same(['images', '-a', '--format', '{{json .}}'])).stdout, /"Digest":"\\u003cnone\\u003e"/);
    await same(['images', '--format', 'table {{.ID}}\t{{.VirtualSize}}\t{{.Containers}}']);
    await same(['history', '--format', 'json', 'top:v1']);
    await same(['history', '--format', '{{json .}}', 'top:v1']);
    // {{json .}} reads every field, so ps asks for sizes, as docker does
    assert.match((await same(['ps', '-a', '--format', '{{json .}}'])).stdout, /"Size":"[^"]+ \(virtual [^"]+\)"/);
    await ok(['rmi', 'top:v1']);
  });

  it('image commands: flags, formats and errors as docker has them', async () => {
    const ok = async (args: string[], input?: Buffer) => {
      const r = await docker(d, args, input === undefined ? {} : { input });
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    };
    // stdout, stderr (berth's name read as docker's) and exit status.
    const sameErr = async (args: string[]) => {
      const { b, k } = await both(args);
      assert.equal(timeless(b.stdout), timeless(k.stdout), `stdout of ${args.join(' ')}`);
      assert.equal(b.stderr.replace(/\bberth\b/g, 'docker'), k.stderr, `stderr of ${args.join(' ')}`);
      assert.equal(b.code, k.code, `exit status of ${args.join(' ')}`);
      return b;
    };
    await ok(['import', '--change', 'LABEL a=b', '-', 'lab:1'], busyboxTar());
    await ok(['tag', 'lab:1', 'lab:2']);
    // --no-trunc shows whole IDs; -q and --digests change only the table and raw formats
    assert.match((await same(['images', '--no-trunc', 'lab'])).stdout, /sha256:[0-9a-f]{64}/);
    await same(['images', '-q', '--no-trunc']);
    await same(['images', '--format', 'raw']);
    await same(['images', '--format', 'raw', '-q']);
    await same(['images', '-q', '--format', '{{.Tag}}']);
    await same(['images', '--filter', 'label=a=b', '--filter', 'dangling=false']);
    // -H=false: dates as RFC 3339 under CREATED AT, sizes in bytes
    assert.match((await same(['history', '-H=false', 'lab:1'])).stdout, /^IMAGE\s+CREATED AT/);
    await same(['history', '--human=false', '--format', '{{.CreatedSince}} {{.Size}}', 'lab:1']);
    await same(['history', '-q', '--no-trunc', 'lab:1']);
    await same(['history', '-q', '--format', '{{.Size}}', 'lab:1']);
    // usage errors: docker's texts and statuses (125 for flags, 1 for arguments)
    await sameErr(['images', 'a', 'b']);
    await sameErr(['images', '--filter', 'noequals']);
    await sameErr(['history']);
    await sameErr(['history', '-H', 'false', 'lab:1']);
    await sameErr(['rmi']);
    await sameErr(['image', 'prune', '-f', 'extra']);
    await sameErr(['images', '--format', '{{.ID']);
    // tag and import check references before asking the daemon
    await sameErr(['tag', 'lab:1', 'BAD:x']);
    await sameErr(['tag', 'lab:1', 'x:']);
    await sameErr(['tag', 'lab:1', 'x@sha256:0123456789012345678901234567890123456789012345678901234567890123']);
    await sameErr(['import', '/nonexistent/image.tar']);
    await sameErr(['import', '-', 'x:']);
    // inspect: every missing name reported; a bad template exits 64; nothing found prints a blank line
    await sameErr(['image', 'inspect', '-f', '{{.Id}}', 'nosuch1', 'lab:1', 'nosuch2']);
    await sameErr(['image', 'inspect', '-f', '{{.ID', 'lab:1']);
    await sameErr(['image', 'inspect', '-f', '{{.Id}}', 'nosuch']);
    // rmi with a missing name among others: the others go, the errors come last
    const rmi = async (cli: typeof docker) => {
      await ok(['tag', 'lab:1', 'lab:3']);
      return cli(d, ['rmi', 'lab:3', 'nosuch', 'lab:2']);
    };
    const k = await rmi(docker);
    await ok(['tag', 'lab:1', 'lab:2']);
    const b = await rmi(berth);
    assert.deepEqual([b.stdout, b.stderr, b.code], [k.stdout, k.stderr, k.code]);
    await ok(['rmi', 'lab:1']);
  });

  it('runs: output, exit codes, errors', async () => {
    assert.equal((await same(['run', '--rm', 'busybox', 'echo', 'hi'])).stdout, 'hi\n');
    assert.equal((await same(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3'])).code, 3);
    const missing = await both(['run', '--rm', 'busybox', 'nosuchcmd']);
    assert.equal(missing.b.code, 127);
    assert.equal(missing.k.code, 127);
    assert.equal(missing.b.stderr.replace(/^berth:/, 'docker:').replace(/berth run/, 'docker run'), missing.k.stderr);
    assert.equal((await same(['run', '--rm', '-i', 'busybox', 'cat'], 'through stdin\n')).stdout, 'through stdin\n');
  });

  it('inspects and reads a running container', async () => {
    await same(['logs', 'svc']);
    await same(['logs', '--tail', '1', 'done']);
    await same(['inspect', '-f', '{{.State.Status}} {{.Config.Labels.role}} {{.HostConfig.ShmSize}}', 'svc']);
    await same(['inspect', '--type', 'image', '-f', '{{.Comment}}', 'busybox']);
    await same(['exec', 'svc', 'echo', 'in exec']);
    await same(['exec', 'svc', 'sh', '-c', 'exit 4']);
    // A process that cannot start: dockerd's message inside the stream, and the exec's 126
    const missing = await same(['exec', 'svc', 'nosuch']);
    assert.equal(missing.code, 126);
    assert.match(missing.stdout, /OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in \$PATH/);
    assert.equal((await same(['exec', '-u', 'nosuchuser', 'svc', 'id'])).code, 126);
    await same(['diff', 'svc']);
    await same(['port', 'svc']);
    await same(['wait', 'done']);
    await same(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'svc']);
    const top = await both(['top', 'svc', '-o', 'pid,comm']);
    assert.equal(top.b.stdout, top.k.stdout);
  });

  it('reports missing objects the same way', async () => {
    const a = await both(['inspect', 'nosuchthing']);
    assert.equal(a.b.code, 1);
    assert.equal(a.b.stdout, a.k.stdout);
    assert.equal(a.b.stderr, a.k.stderr);
    const s = await both(['stop', 'nosuchthing']);
    assert.equal(s.b.code, s.k.code);
    assert.equal(s.b.stderr, s.k.stderr);
    const r = await both(['rmi', 'nosuch:tag']);
    assert.equal(r.b.stderr, r.k.stderr);
  });
});
