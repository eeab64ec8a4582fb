/**
 * Docker's default security profile as seen from inside real containers (runc + conmon):
 * capabilities, seccomp, no-new-privileges, masked and read-only paths, /dev, and the user
 * options that change them.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BerthError } from '../../src/core/errors.js';
import { capabilityMask } from '../../src/runtime/capabilities.js';
import { gatherSpecFacts, hostSpecFacts } from '../../src/runtime/facts.js';
import { buildSpec } from '../../src/runtime/spec.js';
import { busyboxRootfs, harness, newId, statusFields, type Harness } from './harness.js';
import { tempDir } from '../helpers/tmp.js';

const hex = (mask: bigint) => mask.toString(16).padStart(16, '0');

/** Sections of a probe script, separated by `---` lines. */
function sections(out: string): string[] {
  return out.split('\n---\n');
}

const PROBE = [
  'cat /proc/self/status',
  'echo ---; hostname',
  'echo ---; ls /dev | tr "\\n" " "; echo',
  'echo ---; wc -c < /proc/timer_list; wc -c < /proc/keys; ls /sys/firmware | wc -l',
  'echo ---; grep -E " /proc/sys | /sys " /proc/self/mountinfo | cut -d" " -f5,6',
  'echo ---; (echo x > /proc/sys/kernel/domainname) 2>&1; echo rc=$?',
].join('; ');

describe('container security profile', { timeout: 120_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  it('has Docker\'s default capabilities, seccomp filter, masked and read-only paths, hostname and /dev', async () => {
    const r = await h.run({ args: ['sh', '-c', PROBE], hostname: 'probe-host' });
    assert.equal(r.exit.exitCode, 0, r.stderr);
    const [status, hostname, dev, masked, mounts, write] = sections(r.stdout);
    const s = statusFields(status);
    assert.equal(s.CapEff, '00000000a80425fb');
    assert.equal(s.CapPrm, '00000000a80425fb');
    assert.equal(s.CapBnd, '00000000a80425fb');
    assert.equal(s.CapInh, '0000000000000000');
    assert.equal(s.CapAmb, '0000000000000000');
    assert.equal(s.Seccomp, '2');
    assert.equal(s.NoNewPrivs, '0');
    assert.equal(hostname.trim(), 'probe-host');
    assert.deepEqual(dev.trim().split(' ').sort(), ['fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
    assert.deepEqual(masked.trim().split('\n'), ['0', '0', '0'], 'timer_list and keys read as /dev/null, /sys/firmware is empty');
    assert.match(mounts, /^\/proc\/sys ro,/m);
    assert.match(mounts, /^\/sys ro,/m);
    assert.match(write, /Read-only file system/);
  });

  it('--privileged: every grantable capability, no seccomp, nothing masked, writable /sys', async () => {
    const r = await h.run({ args: ['sh', '-c', PROBE], privileged: true });
    const [status, , , masked, mounts] = sections(r.stdout);
    const s = statusFields(status);
    assert.equal(s.CapEff, hex(capabilityMask((await hostSpecFacts()).capabilities)));
    assert.equal(s.Seccomp, '0');
    assert.notEqual(masked.trim().split('\n')[0], '0', '/proc/timer_list is readable');
    assert.match(mounts, /^\/sys rw,/m);
  });

  it('--cap-drop/--cap-add show in CapEff, seccomp=unconfined and no-new-privileges in the status', async () => {
    const probe = ['sh', '-c', 'cat /proc/self/status'];
    const dropped = statusFields((await h.run({ args: probe, capDrop: ['ALL'], capAdd: ['net_admin', 'CAP_KILL'] })).stdout);
    assert.equal(dropped.CapEff, hex((1n << 12n) | (1n << 5n)));
    assert.equal(dropped.CapBnd, dropped.CapEff);
    const tweaked = statusFields((await h.run({ args: probe, capDrop: ['NET_RAW'], securityOpt: ['seccomp=unconfined', 'no-new-privileges'] })).stdout);
    assert.equal(tweaked.CapEff, hex(0xa80425fbn & ~(1n << 13n)));
    assert.equal(tweaked.Seccomp, '0');
    assert.equal(tweaked.NoNewPrivs, '1');
  });

  it('a non-root user keeps only the bounding set and gets its groups', async () => {
    const r = await h.run({ args: ['sh', '-c', 'id; grep Cap /proc/self/status'], user: 'alice' });
    assert.match(r.stdout, /uid=1000\(alice\) gid=1000\(alice\) groups=/);
    assert.deepEqual(/groups=(\S+)/.exec(r.stdout)?.[1].split(',').sort(), ['1000(alice)', '50(staff)']);
    const s = statusFields(r.stdout);
    assert.equal(s.CapEff, '0000000000000000');
    assert.equal(s.CapBnd, '00000000a80425fb');
  });

  it('--read-only makes the rootfs read-only, --tmpfs mounts stay writable', async () => {
    const r = await h.run({ args: ['sh', '-c', 'touch /x 2>&1; touch /tmp/y && echo tmp-ok; touch /run/z && echo run-ok'], readonlyRootfs: true, tmpfs: { '/run': 'size=1m' } });
    assert.match(r.stdout, /touch: \/x: Read-only file system/);
    assert.doesNotMatch(r.stdout, /tmp-ok/);
    assert.match(r.stdout, /run-ok/);
  });

  it('applies --ulimit, --device, --sysctl, --shm-size and the memory limit inside the container', async () => {
    const r = await h.run({
      args: ['sh', '-c', 'ulimit -n; ulimit -Hn; echo hi > /dev/mynull && echo dev-ok; cat /proc/sys/net/ipv4/ip_unprivileged_port_start; df -k /dev/shm | tail -1; cat /sys/fs/cgroup/memory/memory.limit_in_bytes'],
      ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
      devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/mynull' }],
      sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80' },
      shmSize: 8 << 20,
      memory: 64 << 20,
    });
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 4), ['1024', '2048', 'dev-ok', '80']);
    assert.match(lines[4], /^shm\s+8192\s/);
    assert.equal(lines[5], String(64 << 20));
  });

  it('refuses a working directory that leads to /proc/self/fd, even through a symlink in the image (CVE-2024-21626)', async (t) => {
    const rootfs = await busyboxRootfs(join(await tempDir(t), 'rootfs'));
    await symlink('/proc/self/fd/7', join(rootfs, 'work'));
    await mkdir(join(rootfs, 'srv'));
    for (const workingDir of ['/proc/self/fd/7', '/work', '/srv/../work/']) {
      const o = { id: newId(), rootfs, args: ['pwd'], workingDir };
      const f = await gatherSpecFacts(o);
      assert.throws(() => buildSpec(o, f), (e: unknown) => e instanceof BerthError && e.code === 'ERR_WORKDIR_UNSAFE', workingDir);
    }
    const o = { id: newId(), rootfs, args: ['pwd'], workingDir: '/srv' };
    assert.equal(buildSpec(o, await gatherSpecFacts(o)).process.cwd, '/srv');
  });

  it('reads /etc/passwd without following a symlink out of the rootfs', async (t) => {
    const dir = await tempDir(t);
    const rootfs = await busyboxRootfs(join(dir, 'rootfs'));
    await writeFile(join(dir, 'passwd'), 'evil:x:0:0::/:/bin/sh\n');
    await rm(join(rootfs, 'etc/passwd'));
    await symlink('../../../passwd', join(rootfs, 'etc/passwd'));
    const f = await gatherSpecFacts({ id: newId(), rootfs, args: ['true'] });
    assert.equal(f.passwd, undefined, 'the link resolves inside the rootfs, where there is no such file');
    assert.equal((await readFile(join(dir, 'passwd'), 'utf8')).startsWith('evil'), true);
  });
});
