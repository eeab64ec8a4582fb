/**
 * Containers end to end: a real berthd, real runc/conmon containers from the offline busybox
 * image, driven by the real docker CLI (and berth, compared with it), with results checked
 * inside the containers and on the host.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runInPty } from '../cli/helpers/clients.js';
import { BERTH, berth, docker, request, run, startDaemon, timeless, type TestDaemon } from '../helpers/daemon.js';
import { busyboxTar } from '../helpers/images.js';
import { tempDir } from '../helpers/tmp.js';

let d: TestDaemon;

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && m.startsWith(dir));
}

function cgroupExists(id: string): boolean {
  return ['memory', 'pids', 'cpu'].some((c) => existsSync(join('/sys/fs/cgroup', c, 'berth', id)));
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await docker(d, args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `docker ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

describe('containers through the docker CLI', () => {
  before(async () => {
    d = await startDaemon(undefined);
    const r = await berth(d, ['import', '--change', 'CMD ["sh"]', '-', 'busybox:latest'], { input: busyboxTar() });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await docker(d, ['rm', '-f', ...(await docker(d, ['ps', '-aq'])).stdout.split('\n').filter(Boolean)]);
    await d.stop();
    await run('rm', ['-rf', d.dir]);
  });

  it('run --rm prints the output and exits with the container code', async () => {
    assert.equal(await ok(['run', '--rm', 'busybox', 'echo', 'hello from berth']), 'hello from berth\n');
    const r = await docker(d, ['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal((await docker(d, ['ps', '-aq'])).stdout, '');
  });

  it('runs with Docker\'s default security profile', async () => {
    const status = await ok(['run', '--rm', 'busybox', 'grep', '-E', '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):', '/proc/self/status']);
    assert.match(status, /CapInh:\s+0000000000000000/);
    assert.match(status, /CapPrm:\s+00000000a80425fb/);
    assert.match(status, /CapEff:\s+00000000a80425fb/);
    assert.match(status, /CapBnd:\s+00000000a80425fb/);
    assert.match(status, /CapAmb:\s+0000000000000000/);
    assert.match(status, /NoNewPrivs:\s+0/);
    assert.match(status, /Seccomp:\s+2/);
    // Masked paths read empty, read-only paths refuse writes, the hostname is the short ID.
    assert.equal(await ok(['run', '--rm', 'busybox', 'cat', '/proc/timer_list']), '');
    const ro = await docker(d, ['run', '--rm', 'busybox', 'sh', '-c', 'echo 1 > /proc/sys/kernel/domainname']);
    assert.notEqual(ro.code, 0);
    // Recorded in HostConfig as dockerd does; the docker CLI turns systempaths=unconfined into
    // empty lists, which leave /proc and /sys unmasked.
    const masked = JSON.parse(await ok(['create', '--name', 'masks', 'busybox', 'true']).then(() => ok(['inspect', '-f', '{{json .HostConfig.MaskedPaths}}', 'masks']))) as string[];
    assert.ok(masked.includes('/proc/kcore') && masked.includes('/sys/firmware'), JSON.stringify(masked));
    // the rest of what dockerd records for a plain create
    assert.equal(await ok(['inspect', '-f', '{{json .HostConfig.MemorySwappiness}} {{.HostConfig.KernelMemory}} {{json .Config.Volumes}}', 'masks']), 'null 0 null\n');
    await ok(['rm', 'masks']);
    // cgroup v1 has the knob (this machine's hybrid layout); v2 has none
    if (existsSync('/sys/fs/cgroup/memory/memory.swappiness')) {
      assert.equal(await ok(['run', '--rm', '--memory-swappiness', '7', 'busybox', 'cat', '/sys/fs/cgroup/memory/memory.swappiness']), '7\n');
    }
    const mounts = (args: string[]) => ok(['run', '--rm', ...args, 'busybox', 'sh', '-c', 'mount | grep -c " /proc/sys \\| /proc/timer_list " || true']);
    assert.equal(await mounts([]), '2\n');
    assert.equal(await mounts(['--security-opt', 'systempaths=unconfined']), '0\n');
    const id = (await ok(['run', '-d', 'busybox', 'hostname'])).trim();
    assert.equal(await ok(['wait', id]), '0\n');
    assert.equal(await ok(['logs', id]), `${id.slice(0, 12)}\n`);
    await ok(['rm', id]);
  });

  it('run -d --name, ps, logs -f, exec, inspect, top, stop, start, restart', async () => {
    const id = (await ok(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await ok(['ps']);
    assert.match(ps, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    // Docker joins path and args unquoted; the CLI quotes and cuts the result to 20 characters.
    assert.ok(ps.includes(`${id.slice(0, 12)}   busybox   "sh -c trap \\"exit 0\\"…"`), ps);
    assert.match(ps, /Up .*\s+ticker\n$/);
    // berth prints exactly what docker prints for the same list.
    assert.equal(timeless((await berth(d, ['ps', '-a'])).stdout), timeless((await docker(d, ['ps', '-a'])).stdout));
    assert.equal(await ok(['exec', 'ticker', 'echo', 'hi']), 'hi\n');
    assert.equal((await docker(d, ['exec', 'ticker', 'sh', '-c', 'exit 7'])).code, 7);
    assert.equal(await ok(['exec', '-i', 'ticker', 'cat'], 'from stdin\n'), 'from stdin\n');
    assert.equal(await ok(['exec', '-w', '/tmp', '-e', 'X=1', 'ticker', 'sh', '-c', 'echo $X $(pwd)']), '1 /tmp\n');
    const inspect = JSON.parse(await ok(['inspect', 'ticker']))[0];
    assert.equal(inspect.Id, id);
    assert.equal(inspect.Name, '/ticker');
    assert.equal(inspect.State.Status, 'running');
    assert.ok(inspect.State.Pid > 0);
    assert.equal(inspect.HostConfig.ShmSize, 67108864);
    assert.equal(await ok(['inspect', '-f', '{{.State.Running}} {{.Config.Hostname}}', 'ticker']), `true ${id.slice(0, 12)}\n`);
    const top = await ok(['top', 'ticker']);
    assert.match(top, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD\n/);
    assert.match(top, /sh -c trap/);
    assert.equal(await ok(['stop', 'ticker']), 'ticker\n');
    assert.equal((JSON.parse(await ok(['inspect', 'ticker']))[0]).State.ExitCode, 0);
    const logs = await ok(['logs', 'ticker']);
    assert.match(logs, /^tick 0\ntick 1\n/);
    await ok(['start', 'ticker']);
    assert.equal(JSON.parse(await ok(['inspect', 'ticker']))[0].State.Status, 'running');
    await ok(['restart', '-t', '1', 'ticker']);
    assert.equal(JSON.parse(await ok(['inspect', 'ticker']))[0].State.Status, 'running');
    await ok(['rm', '-f', 'ticker']);
    assert.deepEqual(mountsUnder(d.dataRoot), []);
    assert.equal(cgroupExists(id), false);
  });

  it('logs -f follows until the container exits; logs -t has 9-digit timestamps', async () => {
    await ok(['run', '-d', '--name', 'counter', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.3; done; echo done >&2']);
    const r = await docker(d, ['logs', '-f', 'counter']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'line 1\nline 2\nline 3\n');
    assert.equal(r.stderr, 'done\n');
    const t = await ok(['logs', '-t', 'counter']);
    assert.match(t.split('\n')[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 1$/);
    const tail = await berth(d, ['logs', '--tail', '2', 'counter']);
    assert.equal(tail.stdout, 'line 3\n');
    assert.equal(tail.stderr, 'done\n');
    await ok(['rm', 'counter']);
  });

  it('pause, unpause, kill and wait', async () => {
    await ok(['run', '-d', '--name', 'sleeper', 'busybox', 'sleep', '1000']);
    await ok(['pause', 'sleeper']);
    assert.match(await ok(['ps', '--format', '{{.Status}}', '--filter', 'name=sleeper']), /\(Paused\)/);
    const frozen = readFileSync(join('/sys/fs/cgroup/freezer/berth', JSON.parse(await ok(['inspect', 'sleeper']))[0].Id, 'freezer.state'), 'utf8');
    assert.equal(frozen.trim(), 'FROZEN');
    await ok(['unpause', 'sleeper']);
    const waiter = docker(d, ['wait', 'sleeper']);
    await ok(['kill', 'sleeper']);
    assert.equal((await waiter).stdout, '137\n');
    assert.match(await ok(['ps', '-a', '--format', '{{.Status}}', '--filter', 'name=sleeper']), /^Exited \(137\)/);
    await ok(['rm', 'sleeper']);
  });

  it('run -it works in a pseudo-terminal; exec -it too', async () => {
    const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: '/tmp/berth-test-docker-config' };
    const r = await runInPty(['docker', 'run', '--rm', '-it', 'busybox', 'sh'], env, 'stty size; echo $TERM; exit 5\r');
    assert.equal(r.code, 5, r.stdout);
    assert.match(r.stdout, /30 100/);
    assert.match(r.stdout, /xterm/);
    await ok(['run', '-d', '--name', 'shell', 'busybox', 'sleep', '1000']);
    const e = await runInPty(['docker', 'exec', '-it', 'shell', 'sh'], env, 'tty; exit 3\r');
    assert.equal(e.code, 3, e.stdout);
    assert.match(e.stdout, /\/dev\/pts\/\d+/);
    const b = await runInPty([BERTH, '-H', d.host, 'exec', '-it', 'shell', 'sh'], env, 'echo berth-tty; exit 4\r');
    assert.equal(b.code, 4, b.stdout);
    assert.match(b.stdout, /berth-tty/);
    await ok(['rm', '-f', 'shell']);
  });

  it('rename, port, diff, commit, export, stats, events', async () => {
    await ok(['run', '-d', '--name', 'work', 'busybox', 'sh', '-c', 'echo data > /root/file; rm /etc/group; sleep 1000']);
    await ok(['rename', 'work', 'renamed']);
    assert.equal(await ok(['port', 'renamed']), '');
    for (let i = 0; i < 50 && !(await ok(['diff', 'renamed'])).includes('/root/file'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await ok(['diff', 'renamed']), 'C /etc\nD /etc/group\nC /root\nA /root/file\n');
    const image = (await ok(['commit', '-m', 'snapshot', '-c', 'ENV COMMITTED=1', 'renamed', 'committed:v1'])).trim();
    assert.match(image, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await ok(['run', '--rm', 'committed:v1', 'sh', '-c', 'cat /root/file; echo $COMMITTED; ls /etc/group 2>&1 || true']), 'data\n1\nls: /etc/group: No such file or directory\n');
    const history = await ok(['history', '--format', '{{.Comment}}', 'committed:v1']);
    assert.equal(history, 'snapshot\nImported from -\n');
    const exported = await run('sh', ['-c', `DOCKER_HOST=${d.host} docker export renamed | tar -t | grep -c .`]);
    assert.ok(Number(exported.stdout.trim()) > 250, exported.stdout + exported.stderr);
    const stats = await ok(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'renamed']);
    assert.equal(stats, 'renamed 1\n');
    const now = Math.floor(Date.now() / 1000);
    const id = JSON.parse(await ok(['inspect', 'renamed']))[0].Id as string;
    const events = await ok(['events', '--since', String(now - 60), '--until', String(now + 1), '--filter', `container=${id}`, '--format', '{{.Action}}']);
    assert.match(events, /create\nstart\nrename\n(.*\n)*commit\n/);
    await ok(['rm', '-f', 'renamed']);
    await ok(['rmi', 'committed:v1']);
  });

  it('container prune and system df', async () => {
    await ok(['run', '--name', 'stopped1', 'busybox', 'true']);
    await ok(['create', '--name', 'created1', 'busybox', 'true']);
    const df = await ok(['system', 'df']);
    assert.match(df, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+1\s+1\s+/);
    const pruned = await ok(['container', 'prune', '-f']);
    assert.match(pruned, /^Deleted Containers:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\nTotal reclaimed space: /);
    assert.equal(await ok(['ps', '-aq']), '');
  });

  it('works with dockerode (run, attach without upgrade, wait, remove)', async () => {
    const { default: Docker } = await import('dockerode');
    const client = new Docker({ socketPath: d.socket });
    const c = await client.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo dockerode; exit 2'], AttachStdout: true, AttachStderr: true });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true });
    const chunks: Buffer[] = [];
    stream.on('data', (b: Buffer) => chunks.push(b));
    await c.start();
    const result = (await c.wait()) as { StatusCode: number };
    assert.equal(result.StatusCode, 2);
    await new Promise((r) => setTimeout(r, 100));
    const out = Buffer.concat(chunks);
    assert.equal(out[0], 1);
    assert.equal(out.subarray(8).toString(), 'dockerode\n');
    await c.remove();
    await assert.rejects(client.getContainer('nope-missing').inspect(), /No such container: nope-missing/);
  });
});

describe('bad container input', () => {
  before(async () => {
    d = await startDaemon(undefined);
    await berth(d, ['import', '--change', 'CMD ["sh"]', '-', 'busybox:latest'], { input: busyboxTar() });
  });
  after(async () => {
    await docker(d, ['rm', '-f', ...(await docker(d, ['ps', '-aq'])).stdout.split('\n').filter(Boolean)]);
    await d.stop();
    await run('rm', ['-rf', d.dir]);
  });

  const noLeftovers = async () => {
    assert.deepEqual(mountsUnder(d.dataRoot), []);
    // The runtime's cleanup of an exited container (runc delete, its bundle) runs in the
    // background after the removal is reported: give it a bounded moment.
    const dir = join(d.execRoot, 'containers');
    const bundles = () => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : []);
    for (let i = 0; i < 50 && bundles().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(bundles(), []);
  };

  it('a missing command exits 127 and a non-executable 126, leaving nothing with --rm', async () => {
    const r = await docker(d, ['run', '--rm', 'busybox', 'nosuchcmd']);
    assert.equal(r.code, 127);
    assert.match(r.stderr, /executable file not found in \$PATH/);
    const r2 = await docker(d, ['run', '--rm', 'busybox', '/etc/passwd']);
    assert.equal(r2.code, 126);
    assert.match(r2.stderr, /permission denied/);
    assert.equal((await docker(d, ['ps', '-aq'])).stdout, '');
    await noLeftovers();
  });

  it('unknown images, bad names, bad restart policies and bad flag values are refused', async () => {
    const missing = await request(d, 'POST', '/v1.41/containers/create', { body: JSON.stringify({ Image: 'nosuchimage', Cmd: ['true'] }), headers: { 'Content-Type': 'application/json' } });
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).message, 'No such image: nosuchimage:latest');
    const name = await docker(d, ['run', '--name', 'x', 'busybox', 'true']);
    assert.equal(name.code, 125);
    assert.match(name.stderr, /Invalid container name \(x\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
    const policy = await request(d, 'POST', '/v1.41/containers/create', {
      body: JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { RestartPolicy: { Name: 'sometimes' } } }),
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(policy.status, 400);
    assert.equal(JSON.parse(policy.body).message, "invalid restart policy 'sometimes'");
    const memory = await docker(d, ['run', '--rm', '-m', '1k', 'busybox', 'true']);
    assert.equal(memory.code, 125);
    assert.match(memory.stderr, /Minimum memory limit allowed is 6MB/);
    const notJson = await request(d, 'POST', '/v1.41/containers/create', { body: 'not json', headers: { 'Content-Type': 'application/json' } });
    assert.equal(notJson.status, 400);
    assert.equal((await docker(d, ['ps', '-aq'])).stdout, '');
    await noLeftovers();
  });

  it('diff hides the runtime\'s mount points, logs --details and top errors read as dockerd\'s', async () => {
    await ok(['run', '-d', '--name', 'quiet', 'busybox', 'sh', '-c', 'echo one; echo two; sleep 1000']);
    for (let i = 0; i < 50 && !(await ok(['logs', 'quiet'])).includes('two'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await ok(['diff', 'quiet']), '', 'an untouched container shows no change, not C /etc');
    assert.equal(await ok(['logs', '--details', 'quiet']), ' one\n two\n');
    const top = await docker(d, ['top', 'quiet', 'bogusarg']);
    assert.equal(top.code, 1);
    assert.match(top.stderr, /^Error response from daemon: ps: error: unsupported option \(BSD syntax\)\n$/);
    await ok(['rm', '-f', 'quiet']);
  });

  it('an exec that could not start is not started again: 409, not a second upgrade', async () => {
    await ok(['run', '-d', '--name', 'exec-once', 'busybox', 'sleep', '1000']);
    const created = await request(d, 'POST', '/v1.41/containers/exec-once/exec', { body: JSON.stringify({ Cmd: ['nosuch'], AttachStdout: true }), headers: { 'Content-Type': 'application/json' } });
    const execId = (JSON.parse(created.body) as { Id: string }).Id;
    const first = await request(d, 'POST', `/v1.41/exec/${execId}/start`, { body: '{}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(first.status, 200); // the raw-stream form (no Upgrade asked), the message inside
    assert.match(first.body, /executable file not found/);
    const again = await request(d, 'POST', `/v1.41/exec/${execId}/start`, { body: '{}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(again.status, 409, again.body);
    assert.equal(JSON.parse((await request(d, 'GET', `/v1.41/exec/${execId}/json`)).body).ExitCode, 126);
    await ok(['rm', '-f', 'exec-once']);
  });

  it('run -i and exec -i with stdin already at its end (< /dev/null) end the process instead of hanging', async () => {
    const bounded = { timeoutMs: 30_000 };
    const r = await run('sh', ['-c', `DOCKER_HOST=${d.host} docker run -i --rm busybox cat < /dev/null; echo "exit $?"`], bounded);
    assert.equal(r.stdout, 'exit 0\n', r.stderr);
    await ok(['run', '-d', '--name', 'stdin-end', 'busybox', 'sleep', '1000']);
    const e = await run('sh', ['-c', `DOCKER_HOST=${d.host} docker exec -i stdin-end cat < /dev/null; echo "exit $?"`], bounded);
    assert.equal(e.stdout, 'exit 0\n', e.stderr);
    await ok(['rm', '-f', 'stdin-end']);
  });

  it('--mount binds and tmpfs, --cgroupns, --oom-kill-disable and --stop-signal as dockerd takes them', async () => {
    const dir = await tempDir(undefined, 'bt-mount-');
    writeFileSync(join(dir, 'hello'), 'hi\n');
    assert.equal(await ok(['run', '--rm', '--mount', `type=bind,src=${dir},dst=/m`, 'busybox', 'cat', '/m/hello']), 'hi\n');
    const ro = await docker(d, ['run', '--rm', '--mount', `type=bind,src=${dir},dst=/m,readonly`, 'busybox', 'touch', '/m/x']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    const missing = await docker(d, ['run', '--rm', '--mount', 'type=bind,src=/nonexistent-berth-src,dst=/m', 'busybox', 'true']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /invalid mount config for type "bind": bind source path does not exist: \/nonexistent-berth-src/);
    assert.match(await ok(['run', '--rm', '--mount', 'type=tmpfs,dst=/t,tmpfs-size=1048576', 'busybox', 'sh', '-c', 'df -k /t | tail -1']), /^tmpfs\s+1024\s/);
    await run('rm', ['-rf', dir]);
    // a private cgroup namespace shows the container's cgroups as the root
    assert.match(await ok(['run', '--rm', '--cgroupns', 'private', 'busybox', 'cat', '/proc/self/cgroup']), /^\d+:[^:]*:\/$/m);
    const sig = await docker(d, ['run', '--rm', '--stop-signal', 'BOGUS', 'busybox', 'true']);
    assert.equal(sig.code, 125);
    assert.match(sig.stderr, /Invalid signal: BOGUS/);
    if (existsSync('/sys/fs/cgroup/memory/memory.oom_control')) {
      const oom = await docker(d, ['run', '--rm', '--oom-kill-disable', 'busybox', 'cat', '/sys/fs/cgroup/memory/memory.oom_control']);
      assert.match(oom.stdout, /oom_kill_disable 1/);
      assert.match(oom.stderr, /WARNING: OOM killer is disabled for the container, but no memory limit is set/);
    }
  });

  it('start -a (and -ai) attaches again to a container that has exited, as with dockerd', async () => {
    await ok(['create', '--name', 'again', 'busybox', 'sh', '-c', 'echo run; exit 3']);
    for (const args of [['start', '-a', 'again'], ['start', '-a', 'again'], ['start', '-ai', 'again']]) {
      const r = await docker(d, args, { input: '' });
      assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, 'run\n');
    }
    // the CLI's own attach still refuses a stopped container
    assert.match((await docker(d, ['attach', 'again'])).stderr, /You cannot attach to a stopped container, start it first/);
    // an attach waiting for a start that will not come ends when the container is removed
    const waiting = request(d, 'POST', '/v1.41/containers/again/attach?stream=1&stdout=1');
    await new Promise((r) => setTimeout(r, 300));
    await ok(['rm', 'again']);
    assert.equal((await waiting).status, 200);
  });

  it('a name in use is 409, starting a running container 304, removing it without -f 409', async () => {
    await ok(['run', '-d', '--name', 'busy', 'busybox', 'sleep', '1000']);
    const dup = await docker(d, ['run', '--name', 'busy', 'busybox', 'true']);
    assert.equal(dup.code, 125);
    assert.match(dup.stderr, /Conflict\. The container name "\/busy" is already in use by container "[0-9a-f]{64}"/);
    const start = await request(d, 'POST', '/v1.41/containers/busy/start');
    assert.equal(start.status, 304);
    const rm = await docker(d, ['rm', 'busy']);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /You cannot remove a running container [0-9a-f]{64}\. Stop the container before attempting removal or force remove/);
    const kill = await request(d, 'POST', '/v1.41/containers/nosuch/kill');
    assert.equal(kill.status, 404);
    await ok(['stop', '-t', '0', 'busy']);
    const stopAgain = await request(d, 'POST', '/v1.41/containers/busy/stop');
    assert.equal(stopAgain.status, 304);
    const killStopped = await request(d, 'POST', '/v1.41/containers/busy/kill');
    assert.equal(killStopped.status, 409);
    await ok(['rm', 'busy']);
  });

  it('rmi refuses an image that containers use, with Docker\'s messages, and -f follows its rules', async () => {
    await ok(['create', '--name', 'inuse-src', 'busybox', 'true']);
    const imageId = (await ok(['commit', 'inuse-src', 'inuse:v1'])).trim();
    await ok(['rm', 'inuse-src']);
    const short = imageId.slice(7, 19);
    await ok(['create', '--name', 'inuse-stopped', 'inuse:v1', 'true']);
    const byName = await docker(d, ['rmi', 'inuse:v1']);
    assert.equal(byName.code, 1);
    assert.match(byName.stderr, new RegExp(`conflict: unable to remove repository reference "inuse:v1" \\(must force\\) - container [0-9a-f]{12} is using its referenced image ${short}`));
    const byId = await docker(d, ['rmi', short]);
    assert.equal(byId.code, 1);
    assert.match(byId.stderr, new RegExp(`conflict: unable to delete ${short} \\(must be forced\\) - image is being used by stopped container [0-9a-f]{12}`));
    await ok(['run', '-d', '--name', 'inuse-running', 'inuse:v1', 'sleep', '1000']);
    const forcedRunning = await docker(d, ['rmi', '-f', short]);
    assert.equal(forcedRunning.code, 1);
    assert.match(forcedRunning.stderr, new RegExp(`conflict: unable to delete ${short} \\(cannot be forced\\) - image is being used by running container [0-9a-f]{12}`));
    assert.match(await ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), /^inuse:v1$/m, 'nothing was removed');
    await ok(['rm', '-f', 'inuse-running']);
    // Forced, a stopped container does not keep the image, but its layers stay: it still starts.
    assert.equal(await ok(['rmi', '-f', 'inuse:v1']), `Untagged: inuse:v1\nDeleted: ${imageId}\n`);
    await ok(['start', '-a', 'inuse-stopped']);
    assert.equal(await ok(['inspect', '-f', '{{.State.ExitCode}}', 'inuse-stopped']), '0\n');
    await ok(['rm', 'inuse-stopped']);
  });

  it('refuses a working directory under /proc/self/fd (CVE-2024-21626) and leaves nothing behind', async () => {
    const r = await docker(d, ['run', '--rm', '-w', '/proc/self/fd/7', 'busybox', 'pwd']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /proc\/self\/fd/);
    const r2 = await docker(d, ['run', '--rm', '-w', '/proc/1/fd/3', 'busybox', 'pwd']);
    assert.notEqual(r2.code, 0);
    assert.equal((await docker(d, ['ps', '-aq'])).stdout, '');
    await noLeftovers();
  });

  it('refuses exec -w through a symlink that leads under /proc/self/fd (CVE-2024-21626)', async () => {
    await ok(['run', '-d', '--name', 'fdlink', 'busybox', 'sh', '-c', 'ln -s /proc/self/fd/7 /tmp/fdlink; ln -s /etc /tmp/etclink; sleep 1000']);
    try {
      for (let i = 0; i < 50 && (await docker(d, ['exec', 'fdlink', 'test', '-L', '/tmp/etclink'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
      const r = await docker(d, ['exec', '-w', '/tmp/fdlink', 'fdlink', 'pwd']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /CVE-2024-21626/);
      // A harmless symlink is followed as the container would.
      assert.equal(await ok(['exec', '-w', '/tmp/etclink', 'fdlink', 'pwd']), '/etc\n');
    } finally {
      await ok(['rm', '-f', 'fdlink']);
    }
  });

  it('creates a missing working directory like Docker', async () => {
    assert.equal(await ok(['run', '--rm', '-w', '/does/not/exist', 'busybox', 'pwd']), '/does/not/exist\n');
  });
});
