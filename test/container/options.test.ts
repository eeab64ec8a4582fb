/**
 * `docker run` options end to end: each option given to the docker CLI is checked from inside the
 * container (or in its cgroup on the host), which proves the whole chain: CLI → create body →
 * berthd's HostConfig → OCI spec → runc.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runInPty } from '../cli/helpers/clients.js';
import { berth, docker, run, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxTar } from '../helpers/images.js';

let d: TestDaemon;

async function out(args: string[], input?: string): Promise<string> {
  const r = await docker(d, args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const sh = (script: string, ...opts: string[]) => out(['run', '--rm', ...opts, 'busybox', 'sh', '-c', script]);

describe('docker run options', () => {
  before(async () => {
    d = await startDaemon(undefined);
    const r = await berth(d, ['import', '--change', 'CMD ["sh"]', '-', 'busybox:latest'], { input: busyboxTar() });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    const ids = (await docker(d, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(d, ['rm', '-f', ...ids]);
    await d.stop();
    await run('rm', ['-rf', d.dir]);
  });

  it('environment, working directory, user, hostname, entrypoint', async () => {
    const envFile = join(d.dir, 'env.list');
    writeFileSync(envFile, 'FROM_FILE=yes\n# comment\n');
    assert.equal(await sh('echo $A $FROM_FILE $HOSTNAME $(pwd) $(id -u):$(id -g)', '-e', 'A=1', '--env-file', envFile, '-h', 'myhost', '-w', '/tmp', '-u', 'nobody'), '1 yes myhost /tmp 65534:65534\n');
    assert.equal(await out(['run', '--rm', '-u', '1234:5678', 'busybox', 'id']), 'uid=1234 gid=5678 groups=5678\n');
    assert.equal(await out(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'from', 'entrypoint']), 'from entrypoint\n');
    assert.equal(await sh('cat /etc/hostname', '--hostname', 'named'), 'named\n');
  });

  it('capabilities, privileged, no-new-privileges, seccomp, read-only', async () => {
    assert.match(await sh('grep CapEff /proc/self/status', '--cap-drop', 'ALL'), /CapEff:\s+0000000000000000/);
    assert.match(await sh('grep CapEff /proc/self/status', '--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN'), /CapEff:\s+0000000000001000/);
    assert.match(await sh('grep CapEff /proc/self/status', '--cap-drop', 'chown'), /CapEff:\s+00000000a80425fa/);
    // Privileged: every capability berthd itself has (its bounding set), and no seccomp.
    const bounding = /CapBnd:\s+([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    assert.match(await sh('grep -E "CapEff|Seccomp:" /proc/self/status', '--privileged'), new RegExp(`CapEff:\\s+${bounding}[\\s\\S]*Seccomp:\\s+0`));
    assert.match(await sh('grep NoNewPrivs /proc/self/status', '--security-opt', 'no-new-privileges'), /NoNewPrivs:\s+1/);
    assert.match(await sh('grep Seccomp: /proc/self/status', '--security-opt', 'seccomp=unconfined'), /Seccomp:\s+0/);
    const ro = await docker(d, ['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    assert.equal(await sh('touch /tmp/x && echo ok', '--read-only', '--tmpfs', '/tmp'), 'ok\n');
  });

  it('memory, swap, cpus, cpu shares, pids limit land in the cgroup', async () => {
    const id = (await out(['run', '-d', '-m', '64m', '--memory-swap', '128m', '--cpus', '0.5', '--cpu-shares', '512', '--pids-limit', '42', 'busybox', 'sleep', '1000'])).trim();
    const cg = (ctrl: string, file: string) => readFileSync(join('/sys/fs/cgroup', ctrl, 'berth', id, file), 'utf8').trim();
    assert.equal(cg('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
    assert.equal(cg('memory', 'memory.memsw.limit_in_bytes'), String(128 * 1024 * 1024));
    assert.equal(cg('cpu', 'cpu.cfs_quota_us'), '50000');
    assert.equal(cg('cpu', 'cpu.cfs_period_us'), '100000');
    assert.equal(cg('cpu', 'cpu.shares'), '512');
    assert.equal(cg('pids', 'pids.max'), '42');
    const inspect = JSON.parse(await out(['inspect', id]))[0];
    assert.equal(inspect.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(inspect.HostConfig.NanoCpus, 500_000_000);
    // docker update changes the running container's cgroup.
    await out(['update', '--memory', '96m', '--memory-swap', '192m', '--pids-limit', '50', id]);
    assert.equal(cg('memory', 'memory.limit_in_bytes'), String(96 * 1024 * 1024));
    assert.equal(cg('pids', 'pids.max'), '50');
    await out(['rm', '-f', id]);
  });

  it('ulimits, shm size, sysctls, oom score, init, devices', async () => {
    assert.equal(await sh('ulimit -n; ulimit -Hn', '--ulimit', 'nofile=1024:2048'), '1024\n2048\n');
    assert.match(await sh('df -k /dev/shm | tail -1', '--shm-size', '16m'), /\s16384\s/);
    assert.equal(await sh('cat /proc/sys/net/ipv4/ip_forward', '--sysctl', 'net.ipv4.ip_forward=1'), '1\n');
    assert.equal(await sh('cat /proc/self/oom_score_adj', '--oom-score-adj', '500'), '500\n');
    assert.equal(await out(['run', '--rm', '--init', 'busybox', 'cat', '/proc/1/cmdline']), '/sbin/docker-init\0--\0cat\0/proc/1/cmdline\0');
    assert.equal(await sh('ls -l /dev/mydev | cut -c1', '--device', '/dev/zero:/dev/mydev'), 'c\n');
    assert.equal(await sh('head -c 4 /dev/mydev | od -An -tx1', '--device', '/dev/zero:/dev/mydev').then((s) => s.trim()), '00 00 00 00');
  });

  it('add-host and dns write hosts and resolv.conf', async () => {
    const hosts = await sh('cat /etc/hosts', '--add-host', 'example.test:10.1.2.3');
    assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(hosts, /^10\.1\.2\.3\texample\.test$/m);
    const resolv = await sh('cat /etc/resolv.conf', '--dns', '192.0.2.53', '--dns-search', 'corp.test', '--dns-option', 'ndots:2');
    assert.match(resolv, /^nameserver 192\.0\.2\.53$/m);
    assert.match(resolv, /^search corp\.test$/m);
    assert.match(resolv, /^options ndots:2$/m);
  });

  it('labels, label files, cidfile, stop signal and timeout', async () => {
    const labelFile = join(d.dir, 'labels');
    writeFileSync(labelFile, 'from.file=1\n');
    const cidfile = join(d.dir, 'cid');
    const id = (await out(['run', '-d', '-l', 'a=b', '--label-file', labelFile, '--cidfile', cidfile, '--stop-signal', 'USR1', '--stop-timeout', '1', 'busybox', 'sh', '-c', 'trap "echo got usr1; exit 9" USR1; while true; do sleep 0.1; done'])).trim();
    assert.equal(readFileSync(cidfile, 'utf8'), id);
    assert.equal(await out(['inspect', '-f', '{{index .Config.Labels "a"}} {{index .Config.Labels "from.file"}} {{.Config.StopSignal}} {{.Config.StopTimeout}}', id]), 'b 1 USR1 1\n');
    assert.equal(await out(['ps', '-q', '--filter', 'label=a=b']), `${id.slice(0, 12)}\n`);
    await out(['stop', id]);
    assert.equal(await out(['inspect', '-f', '{{.State.ExitCode}}', id]), '9\n');
    assert.equal(await out(['logs', id]), 'got usr1\n');
    await out(['rm', id]);
  });

  it('log rotation with --log-opt max-size and max-file keeps the newest lines', async () => {
    // 400 lines in 8 bursts, with pauses the rotator can act in.
    const script = 'i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); [ $((i % 50)) -eq 0 ] && sleep 0.3; done; sleep 1000';
    const id = (await out(['run', '-d', '--log-opt', 'max-size=2k', '--log-opt', 'max-file=2', 'busybox', 'sh', '-c', script])).trim();
    let logs = '';
    for (let i = 0; i < 80; i++) {
      logs = await out(['logs', id]);
      if (logs.includes('line-399')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const lines = logs.trim().split('\n');
    assert.equal(lines.at(-1), 'line-399');
    assert.ok(lines.length < 400, `rotated away the oldest lines (kept ${lines.length})`);
    // Consecutive: the newest lines all kept, in order.
    const first = Number(lines[0].slice('line-'.length));
    lines.forEach((l, i) => assert.equal(l, `line-${first + i}`));
    const logPath = JSON.parse(await out(['inspect', '-f', '{{json .LogPath}}', id]));
    // The live file holds at most max-size plus what one burst wrote before the rotator ran.
    assert.ok(readFileSync(logPath).length <= 2048 + 50 * 60);
    await out(['rm', '-f', id]);
  });

  it('detach keys leave the container running; exec -d and exec -u work', async () => {
    const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: '/tmp/berth-test-docker-config' };
    const r = await runInPty(['docker', 'run', '-it', '--name', 'detachable', 'busybox', 'sh'], env, 'echo before\r\x10\x11');
    assert.equal(r.code, 0, r.stdout);
    assert.equal(await out(['inspect', '-f', '{{.State.Status}}', 'detachable']), 'running\n');
    await out(['exec', '-d', 'detachable', 'sh', '-c', 'echo detached > /tmp/marker']);
    for (let i = 0; i < 30 && (await docker(d, ['exec', 'detachable', 'cat', '/tmp/marker'])).code !== 0; i++) await new Promise((res) => setTimeout(res, 100));
    assert.equal(await out(['exec', 'detachable', 'cat', '/tmp/marker']), 'detached\n');
    assert.equal(await out(['exec', '-u', 'nobody', 'detachable', 'id', '-u']), '65534\n');
    await out(['rm', '-f', 'detachable']);
  });

  it('docker attach to a running container, then detach with custom keys', async () => {
    const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: '/tmp/berth-test-docker-config' };
    await out(['run', '-dit', '--name', 'attachable', 'busybox', 'sh']);
    // Typed input reaches the shell; ctrl-x then "q" detaches (--detach-keys), leaving it running.
    const r = await runInPty(['docker', 'attach', '--detach-keys', 'ctrl-x,q', 'attachable'], env, 'echo attached-$((40+2)) > /tmp/proof\r\x18q');
    assert.match(r.stdout, /read escape sequence/);
    assert.equal(await out(['inspect', '-f', '{{.State.Status}}', 'attachable']), 'running\n');
    for (let i = 0; i < 30 && (await docker(d, ['exec', 'attachable', 'cat', '/tmp/proof'])).code !== 0; i++) await new Promise((res) => setTimeout(res, 100));
    assert.equal(await out(['exec', 'attachable', 'cat', '/tmp/proof']), 'attached-42\n');
    await out(['rm', '-f', 'attachable']);
  });

  it('system prune removes stopped containers and dangling images', async () => {
    await out(['run', '--name', 'done', 'busybox', 'true']);
    const r = await out(['system', 'prune', '-f']);
    assert.match(r, /Deleted Containers:\n[0-9a-f]{64}\n/);
    assert.match(r, /Total reclaimed space: /);
    assert.equal(await out(['ps', '-aq']), '');
  });
});
