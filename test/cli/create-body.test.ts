/**
 * `create` against a recording engine, docker CLI 28 as the oracle: for each flag combination
 * berth must send the same create request (path, query, JSON body) and print the same output,
 * errors and exit status.
 */
import { describe, it } from 'node:test';
import { assertSameBehaviour, sortEnv } from './helpers/compare.js';
import { containerRoutes, playBoth } from './helpers/scenario.js';

const CASES: string[][] = [
  ['busybox'],
  ['busybox', 'echo', 'hi'],
  ['--name', 'sample-x', 'busybox', 'busybox', 'sleep', '100'],
  ['-i', '-t', '--rm', 'busybox', 'sh'],
  ['-it', '-e', 'A=1', '-e', 'HOME', '-eB=2', '-e=C=3', '--env', 'NOPE', '-e', 'A=4', 'busybox'],
  ['-a', 'stdin', '-a', 'STDOUT', 'busybox'],
  ['-w', '/w', '-u', '1000:1000', '--entrypoint', 'sh', '-h', 'myhost', '--domainname', 'd', 'busybox', '-c', 'x'],
  ['--entrypoint=', 'busybox'],
  ['-l', 'b=2', '--label', 'a=1', '-l', 'c', 'busybox'],
  ['--restart', 'always', 'busybox'],
  ['--restart', 'on-failure:3', 'busybox'],
  ['--restart', 'unless-stopped', 'busybox'],
  ['--restart=no', 'busybox'],
  ['-m', '64m', '--memory-swap', '-1', '--memory-reservation', '1.5k', '--shm-size', '1g', 'busybox'],
  ['--memory', '512MiB', '--memory-swap', '1g', '--kernel-memory', '4m', 'busybox'],
  ['--cpus', '1.5', '-c', '512', '--cpuset-cpus', '0-1', '--cpuset-mems', '0', '--cpu-period', '100000', '--cpu-quota', '50000', 'busybox'],
  ['--cpus', '0.001', '--cpu-shares', '0x10', 'busybox'],
  ['--pids-limit', '10', '--oom-score-adj', '-500', '--oom-kill-disable', '--memory-swappiness', '0', 'busybox'],
  ['--read-only', '--privileged', '--init', '--cap-add', 'net_admin', '--cap-add', 'ALL', '--cap-drop', 'chown', '--cap-drop', 'CAP_NET_RAW', 'busybox'],
  ['--init=false', '--security-opt', 'no-new-privileges', '--security-opt', 'seccomp=unconfined', 'busybox'],
  ['--security-opt', 'systempaths=unconfined', 'busybox'],
  ['--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=10', '--ulimit', 'core=-1', 'busybox'],
  ['--stop-signal', 'SIGINT', '--stop-timeout', '5', 'busybox'],
  ['--stop-timeout', '0', 'busybox'],
  ['--tmpfs', '/run', '--tmpfs', '/tmp:rw,size=64m', 'busybox'],
  ['--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=1', 'busybox'],
  ['--device', '/dev/null', '--device', '/dev/zero:/dev/z:r', '--device', '/dev/fuse:rw', '--device-cgroup-rule', 'c 1:3 mr', 'busybox'],
  ['--add-host', 'a:1.2.3.4', '--add-host', 'b=::1', '--add-host', 'gw:host-gateway', '--dns', '8.8.8.8', '--dns-search', 'example.com', '--dns-option', 'ndots:2', 'busybox'],
  ['--dns', '127.0.0.1', 'busybox'],
  ['--cidfile', '', '--log-driver', 'json-file', '--log-opt', 'max-size=1m', '--log-opt', 'max-file=3', 'busybox'],
  ['--runtime', 'crun', '--network', 'none', 'busybox'],
  ['--net', 'host', 'busybox'],
  ['--network', 'mynet', '--network-alias', 'al', '--ip', '10.0.0.9', 'busybox'],
  ['--network', 'name=mynet,alias=a1,driver-opt=x=y', 'busybox'],
  ['--network', 'host', '--network', 'bridge', 'busybox'],
  ['--expose', '9000-9002', '--expose', '53/udp', '-p', '8080:80', '-p', '127.0.0.1:5353:53/udp', '-p', '9000', '-P', 'busybox'],
  ['-p', '[::1]:80:80', '-p', '8000-8001:8000-8001', '-p', 'published=8443,target=443', 'busybox'],
  ['-v', '/tmp:/data:ro', '-v', '/anon', '-v', 'named:/vol', 'busybox'],
  ['-v', './rel:/r', 'busybox'],
  ['--mount', 'type=bind,src=/tmp,dst=/t,readonly', '--mount', 'type=tmpfs,dst=/s,tmpfs-size=1m,tmpfs-mode=1777', 'busybox'],
  ['--mount', 'type=volume,target=/x,volume-label=a=b,volume-driver=local,volume-nocopy', 'busybox'],
  ['--group-add', '10', '--group-add', 'audio', '--volumes-from', 'other', '--link', 'a:b', 'busybox'],
  ['--ipc', 'host', '--pid', 'host', '--uts', 'host', '--userns', 'host', '--cgroupns', 'private', '--isolation', 'default', 'busybox'],
  ['--pid', 'container:abc', '--ipc', 'container:abc', 'busybox'],
  ['--health-cmd', 'true', '--health-interval', '1m30s', '--health-retries', '3', '--health-timeout', '500ms', '--health-start-period', '2s', 'busybox'],
  ['--no-healthcheck', 'busybox'],
  ['--blkio-weight', '300', '--blkio-weight-device', '/dev/sda:100', '--device-read-bps', '/dev/sda:1mb', '--device-write-iops', '/dev/sda:100', 'busybox'],
  ['--gpus', 'all', 'busybox'],
  ['--platform', 'linux/amd64', 'busybox'],
  ['--pull', 'never', '-q', 'busybox'],
  ['--storage-opt', 'size=10G', '--cgroup-parent', 'p', '--volume-driver', 'local', 'busybox'],
  ['busybox', '--rm', '-it'],
  ['--', 'busybox', 'ls'],
];

const ERROR_CASES: string[][] = [
  ['--foo', 'busybox'],
  ['-Z', 'busybox'],
  ['-m', 'abc', 'busybox'],
  ['-m', '1x', 'busybox'],
  ['-m', '-1', 'busybox'],
  ['--cpus', 'x', 'busybox'],
  ['--cpus', '0.0000000001', 'busybox'],
  ['-c', 'x', 'busybox'],
  ['--rm=maybe', 'busybox'],
  ['--name'],
  ['-e'],
  [],
  ['--pid', 'bogus', 'busybox'],
  ['--uts', 'x', 'busybox'],
  ['--userns', 'x', 'busybox'],
  ['--cgroupns', 'x', 'busybox'],
  ['--rm', '--restart', 'always', 'busybox'],
  ['--restart', 'on-failure:x', 'busybox'],
  ['--restart', ':3', 'busybox'],
  ['-p', '99999:80', 'busybox'],
  ['-p', 'abc', 'busybox'],
  ['-p', '1.2.3:80:80', 'busybox'],
  ['-p', '80/foo', 'busybox'],
  ['--expose', 'x', 'busybox'],
  ['--expose', '1:2', 'busybox'],
  ['--device', 'relative', 'busybox'],
  ['--device', '/dev/a:/dev/b:xyz', 'busybox'],
  ['--security-opt', 'bad', 'busybox'],
  ['--security-opt', 'seccomp=/nonexistent.json', 'busybox'],
  ['--memory-swappiness', '200', 'busybox'],
  // (--env-file with a missing file is not compared: Node 20 itself exits 9 on any
  // `--env-file <missing>` in its argv, even after the script name.)
  ['--mount', 'type=bind', 'busybox'],
  ['--mount', 'foo', 'busybox'],
  ['--mount', 'type=tmpfs,target=/x,volume-nocopy', 'busybox'],
  ['--ulimit', 'nofile=2:1', 'busybox'],
  ['--ulimit', 'bad=1', 'busybox'],
  ['--ulimit', 'nofile', 'busybox'],
  ['-e', '=x', 'busybox'],
  ['-l', '=x', 'busybox'],
  ['--add-host', 'bad', 'busybox'],
  ['--add-host', 'a:notanip', 'busybox'],
  ['--dns', 'bad', 'busybox'],
  ['--dns-search', '-bad-', 'busybox'],
  ['--sysctl', 'kernel.foo=1', 'busybox'],
  ['--log-driver', 'none', '--log-opt', 'a=b', 'busybox'],
  ['-a', 'foo', 'busybox'],
  ['--health-interval', '1x', 'busybox'],
  ['--health-cmd', 'x', '--no-healthcheck', 'busybox'],
  ['--storage-opt', 'x', 'busybox'],
  ['--pull', 'bogus', 'busybox'],
  ['--annotation', 'a=b', 'busybox'],
  ['--health-start-interval', '1s', 'busybox'],
  ['--cpu-count', '2', 'busybox'],
  ['--mac-address', '02:42:ac:11:00:02', 'busybox'],
  ['--network-alias', 'x', 'busybox'],
  ['--network', 'host', '--network', 'mynet', 'busybox'],
  ['--blkio-weight-device', '/dev/sda:5', 'busybox'],
  ['--device-read-bps', 'sda:1', 'busybox'],
  ['Busybox'],
];

describe('create: request body and output like docker', { concurrency: 4 }, () => {
  for (const args of CASES) {
    it(`create ${args.join(' ')}`, async () => {
      const both = await playBoth(['create', ...args], () => containerRoutes({}));
      assertSameBehaviour(both, { normalize: sortEnv });
    });
  }
  for (const args of ERROR_CASES) {
    it(`rejects create ${args.join(' ')}`, async () => {
      const both = await playBoth(['create', ...args], () => containerRoutes({}));
      assertSameBehaviour(both);
    });
  }
  it('prints the daemon warnings and writes --cidfile', async () => {
    const both = await playBoth(['create', '--cidfile', 'cid', '--dns', '127.0.0.53', 'busybox'], () => containerRoutes({ createWarnings: ['Your kernel does not support swap limit capabilities.'] }));
    assertSameBehaviour(both);
  });
  it('reports a daemon error on create (409 name in use)', async () => {
    const message = 'Conflict. The container name "/sample-c1" is already in use by container "51c6". You have to remove (or rename) that container to be able to reuse that name.';
    const both = await playBoth(['create', '--name', 'sample-c1', 'busybox'], () => containerRoutes({ createStatus: 409, createMessage: message }));
    assertSameBehaviour(both);
  });
  it('pulls a missing image and creates again; --pull always pulls first', async () => {
    assertSameBehaviour(await playBoth(['create', 'busybox'], () => containerRoutes({ missingImage: true })));
    assertSameBehaviour(await playBoth(['create', '-q', '127.0.0.1:5000/sample/busybox:v1'], () => containerRoutes({ missingImage: true })));
    assertSameBehaviour(await playBoth(['create', '--pull', 'always', 'busybox@sha256:5beb99407cdc27ed797fc1a4f4a0e8bceeff624ebb57e8bbfad8d57a213cb0f2'], () => containerRoutes({})));
    assertSameBehaviour(await playBoth(['create', '--pull', 'never', 'busybox'], () => containerRoutes({ missingImage: true })));
    assertSameBehaviour(await playBoth(['create', '--platform', 'linux/AMD64', '--name', 'p1', 'busybox'], () => containerRoutes({ missingImage: true })));
  });
  it('reports a failed pull', async () => {
    assertSameBehaviour(await playBoth(['create', 'nosuch'], () => containerRoutes({ missingImage: true, pullStatus: 404, pullError: 'pull access denied for nosuch' })));
    const broken = ['{"status":"Pulling from library/busybox","id":"latest"}\r\n', '{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}\r\n'];
    assertSameBehaviour(await playBoth(['create', 'busybox'], () => containerRoutes({ missingImage: true, pullChunks: broken })));
  });
});
