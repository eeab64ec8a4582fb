/**
 * buildSpec field by field against Docker's defaults (runtime.md 1.1–1.7) and the user options.
 * Pure function: host facts are given explicitly, nothing runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capabilityMask, DEFAULT_CAPABILITIES, KNOWN_CAPABILITIES } from '../../src/runtime/capabilities.js';
import type { SpecFacts, SpecOptions } from '../../src/runtime/contract.js';
import { specToJson, type OciMount } from '../../src/runtime/oci-config.js';
import { buildSpec } from '../../src/runtime/spec.js';
import { buildExecProcess } from '../../src/runtime/spec-exec.js';
import { BerthError } from '../../src/core/errors.js';

const ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const HOST_CAPS = KNOWN_CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE');

function facts(extra: Partial<SpecFacts> = {}): SpecFacts {
  return {
    arch: 'amd64',
    kernel: '6.18.44-fc',
    cgroupVersion: 1,
    capabilities: HOST_CAPS,
    sysctls: ['net.ipv4.ip_unprivileged_port_start', 'net.ipv4.ping_group_range'],
    thermalThrottlePaths: [],
    devices: {},
    cpuCount: 2,
    passwd: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n',
    group: 'root:x:0:\nstaff:x:50:alice,bob\nalice:x:1000:\nwheel:x:10:alice\nnogroup:x:65534:\n',
    ...extra,
  };
}

function spec(o: Partial<SpecOptions> = {}, f: Partial<SpecFacts> = {}) {
  return buildSpec({ id: ID, rootfs: '/rootfs', args: ['sh'], ...o }, facts(f));
}

function rejects(fn: () => unknown, code: string, message?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BerthError, `expected a BerthError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const mount = (mounts: OciMount[], dest: string) => mounts.find((m) => m.destination === dest);

describe('buildSpec: Docker defaults', () => {
  const s = spec({ env: ['FOO=bar'], etcFiles: { resolvConf: '/c/resolv.conf', hostname: '/c/hostname', hosts: '/c/hosts' } });

  it('gives root the 14 default capabilities, inheritable and ambient empty', () => {
    const caps = s.process.capabilities;
    assert.deepEqual(caps?.bounding, [...DEFAULT_CAPABILITIES]);
    assert.deepEqual(caps?.effective, [...DEFAULT_CAPABILITIES]);
    assert.deepEqual(caps?.permitted, [...DEFAULT_CAPABILITIES]);
    assert.equal(caps?.inheritable, undefined);
    assert.equal(caps?.ambient, undefined);
    assert.equal(capabilityMask(DEFAULT_CAPABILITIES).toString(16), 'a80425fb');
  });

  it('runs as root with gid 0 in additionalGids, no new-privileges flag, oom score 0, no rlimits', () => {
    assert.deepEqual(s.process.user, { uid: 0, gid: 0, additionalGids: [0] });
    assert.equal(s.process.noNewPrivileges, undefined);
    assert.equal(s.process.oomScoreAdj, 0);
    assert.equal(s.process.rlimits, undefined);
    assert.equal(s.process.terminal, false);
    assert.equal(s.process.consoleSize, undefined);
  });

  it('sets PATH, HOSTNAME and the user env; hostname is the first 12 ID characters; cwd /', () => {
    assert.deepEqual(s.process.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${ID.slice(0, 12)}`, 'FOO=bar']);
    assert.equal(s.hostname, ID.slice(0, 12));
    assert.equal(s.process.cwd, '/');
    assert.deepEqual(s.root, { path: '/rootfs', readonly: false });
  });

  it('uses mount, network, uts, pid, ipc namespaces and never time (nor cgroup on v1)', () => {
    assert.deepEqual(s.linux.namespaces, [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }]);
    assert.deepEqual(spec({}, { cgroupVersion: 2 }).linux.namespaces.map((n) => n.type), ['mount', 'network', 'uts', 'pid', 'ipc', 'cgroup']);
  });

  it('mounts exactly Docker\'s table, in order', () => {
    assert.deepEqual(s.mounts, [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: '/c/resolv.conf', options: ['rbind', 'rprivate'] },
      { destination: '/etc/hostname', type: 'bind', source: '/c/hostname', options: ['rbind', 'rprivate'] },
      { destination: '/etc/hosts', type: 'bind', source: '/c/hosts', options: ['rbind', 'rprivate'] },
    ]);
  });

  it('masks moby HEAD\'s paths (plus thermal_throttle of the host) and makes /proc/* read-only', () => {
    assert.deepEqual(s.linux.maskedPaths, [
      '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
      '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
    ]);
    assert.deepEqual(s.linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
    const thermal = '/sys/devices/system/cpu/cpu0/thermal_throttle';
    assert.equal(spec({}, { thermalThrottlePaths: [thermal] }).linux.maskedPaths?.at(-1), thermal);
  });

  it('writes the full explicit device rule list and creates no extra device nodes', () => {
    assert.deepEqual(s.linux.devices, []);
    assert.deepEqual(s.linux.resources?.devices, [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
      { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
      { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
      { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
      { allow: true, type: 'c', access: 'm' },
      { allow: true, type: 'b', access: 'm' },
      { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
      { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
      { allow: true, type: 'c', major: 136, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
    ]);
  });

  it('sets the per-netns sysctls, the cgroup path and no resource limits', () => {
    assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' });
    assert.equal(s.linux.cgroupsPath, `/berth/${ID}`);
    assert.equal(spec({ cgroupParent: '/custom/' }).linux.cgroupsPath, `/custom/${ID}`);
    assert.deepEqual(Object.keys(s.linux.resources ?? {}), ['devices']);
    assert.deepEqual(spec({}, { sysctls: ['net.ipv4.ping_group_range'] }).linux.sysctl, { 'net.ipv4.ping_group_range': '0 2147483647' });
  });

  it('attaches the filtered default seccomp profile', () => {
    const sc = s.linux.seccomp;
    assert.ok(sc);
    assert.equal(sc.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(sc.defaultErrnoRet, 1);
    assert.deepEqual(sc.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  });
});

describe('buildSpec: seccomp filtering', () => {
  const names = (s: ReturnType<typeof spec>) => new Set(s.linux.seccomp?.syscalls?.flatMap((c) => c.names));
  const group = (s: ReturnType<typeof spec>, name: string) => s.linux.seccomp?.syscalls?.filter((c) => c.names.includes(name)) ?? [];

  it('keeps the groups Docker keeps on amd64 with the default capabilities', () => {
    const s = spec();
    const all = names(s);
    assert.equal(s.linux.seccomp?.syscalls?.[0].names.length, 361);
    for (const n of ['ptrace', 'process_vm_readv', 'arch_prctl', 'modify_ldt', 'chroot', 'personality', 'clone', 'clone3', 'socket']) assert.ok(all.has(n), n);
    for (const n of ['mount', 'umount2', 'reboot', 'init_module', 'bpf', 'perf_event_open', 'settimeofday', 'sync_file_range2', 's390_pci_mmio_read']) assert.ok(!all.has(n), n);
    assert.deepEqual(group(s, 'clone'), [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }]);
    assert.deepEqual(group(s, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
    assert.deepEqual(group(s, 'socket').map((g) => g.args?.[0].op), ['SCMP_CMP_LT', 'SCMP_CMP_EQ', 'SCMP_CMP_GT']);
    assert.equal(group(s, 'personality').length, 5);
  });

  it('follows the final bounding set: CAP_SYS_ADMIN allows mount and lifts the clone restrictions', () => {
    const s = spec({ capAdd: ['sys_admin'] });
    assert.ok(names(s).has('mount'));
    assert.ok(group(s, 'clone').every((g) => g.args === undefined));
    assert.deepEqual(group(s, 'clone3').map((g) => g.action), ['SCMP_ACT_ALLOW']);
    assert.ok(!names(spec({ capDrop: ['SYS_CHROOT'] })).has('chroot'));
  });

  it('follows the kernel version and the architecture', () => {
    assert.ok(!names(spec({}, { kernel: '4.4.0' })).has('ptrace'));
    const arm = spec({}, { arch: 'arm64' });
    assert.deepEqual(arm.linux.seccomp?.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    assert.ok(names(arm).has('arm_fadvise64_64'));
    assert.ok(!names(arm).has('arch_prctl'));
    assert.equal(spec({}, { arch: 'ppc64le' }).linux.seccomp?.architectures, undefined);
  });

  it('has no seccomp with --privileged or seccomp=unconfined', () => {
    assert.equal(spec({ privileged: true }).linux.seccomp, undefined);
    assert.equal(spec({ securityOpt: ['seccomp=unconfined'] }).linux.seccomp, undefined);
  });

  it('converts a custom profile the same way and rejects malformed ones', () => {
    const profile = JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
      syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['chmod'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { name: 'unshare', action: 'SCMP_ACT_ERRNO', excludes: { arches: ['arm64'] } },
      ],
    });
    const sc = spec({ securityOpt: [`seccomp=${profile}`] }).linux.seccomp;
    assert.deepEqual(sc, {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['unshare'], action: 'SCMP_ACT_ERRNO' },
      ],
    });
    rejects(() => spec({ securityOpt: ['seccomp={not json'] }), 'ERR_SECCOMP_PROFILE');
    rejects(() => spec({ securityOpt: ['seccomp={"syscalls":[]}'] }), 'ERR_SECCOMP_PROFILE');
    const both = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86'], archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] });
    rejects(() => spec({ securityOpt: [`seccomp=${both}`] }), 'ERR_SECCOMP_PROFILE', /both 'architectures' and 'archMap'/);
  });
});

describe('buildSpec: capabilities', () => {
  it('applies cap-drop and cap-add with any case and with or without CAP_', () => {
    const caps = spec({ capDrop: ['net_raw', 'CAP_MKNOD'], capAdd: ['Net_Admin'] }).process.capabilities?.bounding;
    assert.deepEqual(caps, [...DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_NET_RAW' && c !== 'CAP_MKNOD'), 'CAP_NET_ADMIN']);
  });

  it('handles ALL in both directions', () => {
    assert.deepEqual(spec({ capDrop: ['ALL'], capAdd: ['net_admin'] }).process.capabilities?.bounding, ['CAP_NET_ADMIN']);
    assert.deepEqual(spec({ capAdd: ['all'], capDrop: ['chown'] }).process.capabilities?.bounding, HOST_CAPS.filter((c) => c !== 'CAP_CHOWN'));
    assert.deepEqual(spec({ capDrop: ['ALL'] }).process.capabilities?.bounding, []);
  });

  it('refuses unknown capabilities with Docker\'s message', () => {
    rejects(() => spec({ capAdd: ['CAP_NOPE'] }), 'ERR_UNKNOWN_CAPABILITY', /unknown capability: "CAP_NOPE"/);
  });

  it('gives a non-root user only the bounding set', () => {
    const caps = spec({ user: 'alice' }).process.capabilities;
    assert.deepEqual(caps, { bounding: [...DEFAULT_CAPABILITIES] });
  });
});

describe('buildSpec: user', () => {
  it('resolves names, ids, explicit groups and supplementary groups', () => {
    assert.deepEqual(spec({ user: 'alice' }).process.user, { uid: 1000, gid: 1000, additionalGids: [1000, 50, 10] });
    assert.deepEqual(spec({ user: '1000' }).process.user, { uid: 1000, gid: 1000, additionalGids: [1000, 50, 10] });
    assert.deepEqual(spec({ user: 'alice:staff' }).process.user, { uid: 1000, gid: 50, additionalGids: [50] });
    assert.deepEqual(spec({ user: 'nobody:4242' }).process.user, { uid: 65534, gid: 4242, additionalGids: [4242] });
    assert.deepEqual(spec({ user: '4321' }).process.user, { uid: 4321, gid: 0, additionalGids: [0] });
    assert.deepEqual(spec({ user: '4321:5' }).process.user, { uid: 4321, gid: 5, additionalGids: [5] });
    assert.deepEqual(spec({ user: 'root', groupAdd: ['wheel', '777'] }).process.user, { uid: 0, gid: 0, additionalGids: [0, 10, 777] });
    assert.deepEqual(spec({ user: '1000' }, { passwd: undefined, group: undefined }).process.user, { uid: 1000, gid: 0, additionalGids: [0] });
  });

  it('refuses unknown names with Docker\'s messages', () => {
    rejects(() => spec({ user: 'mallory' }), 'ERR_USER_NOT_FOUND', /unable to find user mallory: no matching entries in passwd file/);
    rejects(() => spec({ user: 'alice:nogrp' }), 'ERR_GROUP_NOT_FOUND', /unable to find group nogrp: no matching entries in group file/);
    rejects(() => spec({ user: '99999999999' }), 'ERR_USER_RANGE');
  });
});

describe('buildSpec: process', () => {
  it('adds TERM=xterm and the console size with a tty; image PATH and bare names override', () => {
    const s = spec({ tty: true, consoleSize: [30, 100], env: ['PATH=/bin', 'HOSTNAME', 'A=1'] });
    assert.equal(s.process.terminal, true);
    assert.deepEqual(s.process.consoleSize, { height: 30, width: 100 });
    assert.deepEqual(s.process.env, ['PATH=/bin', 'TERM=xterm', 'A=1']);
  });

  it('refuses relative working directories and those under /proc/<pid>/fd (CVE-2024-21626)', () => {
    assert.equal(spec({ workingDir: '/srv/app/' }).process.cwd, '/srv/app');
    rejects(() => spec({ workingDir: 'srv' }), 'ERR_WORKDIR', /needs to be an absolute path/);
    for (const bad of ['/proc/self/fd/7', '/proc/self/fd', '/proc/1/fd/3', '/proc/thread-self/fd/8', '/proc/12/task/12/fd/5', '/proc/./self/fd/7/..']) {
      rejects(() => spec({ workingDir: bad }), 'ERR_WORKDIR_UNSAFE', /CVE-2024-21626/);
    }
    rejects(() => spec({ workingDir: '/work' }, { workingDirResolved: '/proc/self/fd/7' }), 'ERR_WORKDIR_UNSAFE');
    assert.equal(spec({ workingDir: '/proc/self/fdinfo' }).process.cwd, '/proc/self/fdinfo');
  });

  it('wraps the command with tini for --init (private pid namespace only)', () => {
    const s = spec({ init: true, args: ['sleep', '1'] }, { initPath: '/usr/bin/tini-static' });
    assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'sleep', '1']);
    assert.deepEqual(s.mounts.at(-1), { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini-static', options: ['bind', 'ro'] });
    assert.deepEqual(spec({ init: true, pid: 'host' }, { initPath: '/usr/bin/tini' }).process.args, ['sh']);
    rejects(() => spec({ init: true }), 'ERR_INIT_NOT_FOUND');
  });

  it('maps ulimits to rlimits (-1 is unlimited, written exactly)', () => {
    const s = spec({ ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }, { name: 'core', soft: -1, hard: -1 }] });
    assert.deepEqual(s.process.rlimits?.[0], { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 });
    assert.match(specToJson(s), /"type": "RLIMIT_CORE",\s*"hard": 18446744073709551615,\s*"soft": 18446744073709551615/);
  });

  it('sets no-new-privileges and oom-score-adj, and checks their values', () => {
    assert.equal(spec({ securityOpt: ['no-new-privileges'] }).process.noNewPrivileges, true);
    assert.equal(spec({ securityOpt: ['no-new-privileges=false'] }).process.noNewPrivileges, undefined);
    assert.equal(spec({ oomScoreAdj: -500 }).process.oomScoreAdj, -500);
    rejects(() => spec({ oomScoreAdj: 1001 }), 'ERR_OOM_SCORE_ADJ', /range for oom score adj is \[-1000, 1000\]/);
    rejects(() => spec({ securityOpt: ['bogus'] }), 'ERR_SECURITY_OPT', /invalid --security-opt 1/);
    rejects(() => spec({ securityOpt: ['nope=1'] }), 'ERR_SECURITY_OPT', /invalid --security-opt 2/);
  });

  it('refuses an empty command', () => {
    rejects(() => spec({ args: [] }), 'ERR_NO_COMMAND');
  });
});

describe('buildSpec: mounts and root', () => {
  it('--read-only: read-only root and ro on every non-user mount but /proc and /dev*', () => {
    const s = spec({ readonlyRootfs: true, etcFiles: { hosts: '/c/hosts' }, tmpfs: { '/run': '' }, mounts: [{ source: '/data', destination: '/data' }] });
    assert.equal(s.root.readonly, true);
    const ro = (d: string) => mount(s.mounts, d)?.options?.includes('ro');
    for (const d of ['/proc', '/dev', '/dev/pts', '/dev/mqueue', '/dev/shm', '/run', '/data']) assert.equal(ro(d), false, d);
    for (const d of ['/sys', '/sys/fs/cgroup', '/etc/hosts']) assert.equal(ro(d), true, d);
    assert.deepEqual(mount(s.mounts, '/etc/hosts')?.options, ['rbind', 'ro', 'rprivate']);
  });

  it('merges tmpfs options with noexec,nosuid,nodev as moby does', () => {
    const s = spec({ tmpfs: { '/run': 'exec,size=64m', '/tmp': '' } });
    assert.deepEqual(mount(s.mounts, '/run'), { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'rprivate', 'exec', 'size=64m'] });
    assert.deepEqual(mount(s.mounts, '/tmp')?.options, ['noexec', 'nosuid', 'nodev', 'rprivate']);
    rejects(() => spec({ tmpfs: { '/run': 'bogus=1' } }), 'ERR_TMPFS_OPTION');
  });

  it('lets user mounts replace defaults, orders them by depth and refuses duplicates', () => {
    const s = spec({ shmSize: 1 << 20, mounts: [{ source: '/a', destination: '/x/y/z' }, { source: '/b', destination: '/x', readonly: true }], tmpfs: { '/dev/shm': 'size=1m' } });
    assert.deepEqual(mount(s.mounts, '/dev/shm'), { destination: '/dev/shm', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1m'] });
    assert.equal(s.mounts.filter((m) => m.destination === '/dev/shm').length, 1);
    const order = s.mounts.map((m) => m.destination);
    assert.ok(order.indexOf('/x') < order.indexOf('/x/y/z'));
    assert.deepEqual(mount(s.mounts, '/x')?.options, ['rbind', 'ro', 'rprivate']);
    const dev = spec({ tmpfs: { '/dev': '' } }).mounts.map((m) => m.destination);
    assert.deepEqual(dev.filter((d) => d.startsWith('/dev')), ['/dev']);
    rejects(() => spec({ mounts: [{ source: '/a', destination: '/m' }], tmpfs: { '/m': '' } }), 'ERR_DUPLICATE_MOUNT');
    rejects(() => spec({ mounts: [{ source: '/a', destination: 'rel' }] }), 'ERR_MOUNT_DESTINATION');
  });

  it('sizes /dev/shm and follows the ipc mode', () => {
    assert.equal(mount(spec({ shmSize: 1048576 }).mounts, '/dev/shm')?.options?.at(-1), 'size=1048576');
    assert.equal(mount(spec({ ipc: 'none' }).mounts, '/dev/shm'), undefined);
    const host = spec({ ipc: 'host' });
    assert.deepEqual(mount(host.mounts, '/dev/shm'), { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
    assert.ok(!host.linux.namespaces.some((n) => n.type === 'ipc'));
    const joined = spec({ ipc: { path: '/proc/42/ns/ipc', shmSource: '/c/other/shm' } });
    assert.deepEqual(joined.linux.namespaces.find((n) => n.type === 'ipc'), { type: 'ipc', path: '/proc/42/ns/ipc' });
    assert.equal(mount(joined.mounts, '/dev/shm')?.source, '/c/other/shm');
  });
});

describe('buildSpec: namespaces and sysctls', () => {
  it('drops namespaces for host modes and joins paths', () => {
    const s = spec({ network: 'host', pid: { path: '/proc/9/ns/pid' }, uts: 'host' });
    assert.deepEqual(s.linux.namespaces, [{ type: 'mount' }, { type: 'pid', path: '/proc/9/ns/pid' }, { type: 'ipc' }]);
    assert.equal(s.hostname, undefined);
    assert.equal(s.linux.sysctl, undefined);
  });

  it('adds the per-netns sysctls only for the container\'s own network namespace', () => {
    assert.ok(spec({ network: { path: '/run/netns/x' } }).linux.sysctl);
    assert.equal(spec({ network: { path: '/proc/9/ns/net', joinsContainer: true } }).linux.sysctl, undefined);
  });

  it('lets --sysctl override and refuses non-namespaced or host-shared ones', () => {
    const s = spec({ sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024', 'kernel.shmmax': '1000' } });
    assert.equal(s.linux.sysctl?.['net.ipv4.ip_unprivileged_port_start'], '1024');
    assert.equal(s.linux.sysctl?.['kernel.shmmax'], '1000');
    rejects(() => spec({ sysctls: { 'kernel.panic': '1' } }), 'ERR_SYSCTL', /not allowed/);
    rejects(() => spec({ network: 'host', sysctls: { 'net.ipv4.ip_forward': '1' } }), 'ERR_SYSCTL', /host network namespace/);
    rejects(() => spec({ ipc: 'host', sysctls: { 'kernel.msgmax': '1' } }), 'ERR_SYSCTL');
  });
});

describe('buildSpec: resources', () => {
  it('maps memory, swap, cpus, shares, cpuset and pids', () => {
    const r = spec({ memory: 64 << 20, memorySwap: 128 << 20, memoryReservation: 32 << 20, nanoCpus: 1.5e9, cpuShares: 512, cpusetCpus: '0', pidsLimit: 100 }).linux.resources;
    assert.deepEqual(r?.memory, { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20 });
    assert.deepEqual(r?.cpu, { period: 100000, quota: 150000, shares: 512, cpus: '0' });
    assert.deepEqual(r?.pids, { limit: 100 });
    assert.deepEqual(spec({ pidsLimit: 0 }).linux.resources?.pids, { limit: -1 });
    assert.deepEqual(spec({ memory: 64 << 20, memorySwap: -1 }).linux.resources?.memory, { limit: 64 << 20, swap: -1 });
    // swappiness is cgroup v1's; v2 has no such knob and the value is dropped, as dockerd does
    assert.deepEqual(spec({ memorySwappiness: 0 }, { cgroupVersion: 1 }).linux.resources?.memory, { swappiness: 0 });
    assert.deepEqual(spec({ memorySwappiness: 30 }, { cgroupVersion: 2 }).linux.resources?.memory, {});
    assert.deepEqual(spec({ oomKillDisable: true }, { cgroupVersion: 1 }).linux.resources?.memory, { disableOOMKiller: true });
    assert.deepEqual(spec({ oomKillDisable: true }, { cgroupVersion: 2 }).linux.resources?.memory, {});
  });

  it('gives a cgroup namespace by --cgroupns, defaulting to private on cgroup v2 and host on v1', () => {
    const hasCgroupNs = (o: Partial<SpecOptions>, v: 1 | 2) => spec(o, { cgroupVersion: v }).linux.namespaces.some((n) => n.type === 'cgroup');
    assert.equal(hasCgroupNs({}, 1), false);
    assert.equal(hasCgroupNs({}, 2), true);
    assert.equal(hasCgroupNs({ cgroupns: 'private' }, 1), true);
    assert.equal(hasCgroupNs({ cgroupns: 'host' }, 2), false);
  });

  it('checks values with Docker\'s messages', () => {
    rejects(() => spec({ memory: 1 << 20 }), 'ERR_MEMORY', /Minimum memory limit allowed is 6MB/);
    rejects(() => spec({ memory: 64 << 20, memorySwap: 32 << 20 }), 'ERR_MEMORY_SWAP', /larger than memory limit/);
    rejects(() => spec({ memorySwap: 64 << 20 }), 'ERR_MEMORY_SWAP');
    rejects(() => spec({ memorySwappiness: 101 }), 'ERR_MEMORY_SWAPPINESS', /^Invalid value: 101, valid memory swappiness range is 0-100$/);
    rejects(() => spec({ nanoCpus: 3e9 }), 'ERR_CPUS', /Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available/);
    rejects(() => spec({ nanoCpus: 1e9, cpuQuota: 50000 }), 'ERR_CPUS', /Conflicting options/);
  });
});

describe('buildSpec: devices and privileged', () => {
  const null0 = { path: '/dev/null', type: 'c' as const, major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 };

  it('adds --device nodes and cgroup rules, expanding directories', () => {
    const s = spec(
      { devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/mynull', cgroupPermissions: 'rw' }, { pathOnHost: '/dev/snd' }], deviceCgroupRules: ['c 42:* rmw'] },
      { devices: { '/dev/null': [null0], '/dev/snd': [{ ...null0, path: '/dev/snd/timer', major: 116, minor: 33 }] } },
    );
    assert.deepEqual(s.linux.devices, [
      { type: 'c', path: '/dev/mynull', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
      { type: 'c', path: '/dev/snd/timer', major: 116, minor: 33, fileMode: 0o666, uid: 0, gid: 0 },
    ]);
    assert.deepEqual(s.linux.resources?.devices?.slice(-3), [
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
      { allow: true, type: 'c', major: 116, minor: 33, access: 'rwm' },
      { allow: true, type: 'c', major: 42, access: 'rmw' },
    ]);
    rejects(() => spec({ devices: [{ pathOnHost: '/dev/nope' }] }, { devices: { '/dev/nope': [] } }), 'ERR_DEVICE_NOT_FOUND');
    rejects(() => spec({ deviceCgroupRules: ['x 1:2 r'] }), 'ERR_DEVICE_CGROUP_RULE');
  });

  it('--privileged: every grantable capability, host devices, no seccomp or masking, writable /sys', () => {
    const s = spec({ privileged: true }, { allDevices: [null0] });
    assert.deepEqual(s.process.capabilities?.effective, HOST_CAPS);
    assert.equal(s.linux.seccomp, undefined);
    assert.equal(s.linux.maskedPaths, undefined);
    assert.equal(s.linux.readonlyPaths, undefined);
    assert.deepEqual(mount(s.mounts, '/sys')?.options, ['nosuid', 'noexec', 'nodev']);
    assert.deepEqual(mount(s.mounts, '/sys/fs/cgroup')?.options, ['nosuid', 'noexec', 'nodev']);
    assert.deepEqual(s.linux.devices, [{ type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }]);
    assert.deepEqual(s.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
  });

  it('systempaths=unconfined empties the masked and read-only lists', () => {
    const s = spec({ securityOpt: ['systempaths=unconfined'] });
    assert.deepEqual(s.linux.maskedPaths, []);
    assert.deepEqual(s.linux.readonlyPaths, []);
  });

  it('takes HostConfig.MaskedPaths and ReadonlyPaths when given: empty lists unmask, as the docker CLI asks', () => {
    const thermal = '/sys/devices/system/cpu/cpu0/thermal_throttle';
    const none = spec({ maskedPaths: [], readonlyPaths: [] }, { thermalThrottlePaths: [thermal] });
    assert.deepEqual(none.linux.maskedPaths, []);
    assert.deepEqual(none.linux.readonlyPaths, []);
    const own = spec({ maskedPaths: ['/proc/kcore'], readonlyPaths: ['/proc/sys'] }, { thermalThrottlePaths: [thermal] });
    assert.deepEqual(own.linux.maskedPaths, ['/proc/kcore', thermal]);
    assert.deepEqual(own.linux.readonlyPaths, ['/proc/sys']);
  });
});

describe('buildExecProcess', () => {
  const container = spec({ env: ['A=1'], workingDir: '/srv', user: 'alice' }).process;

  it('keeps the container\'s user, cwd and capabilities, replacing args, env and terminal', () => {
    const p = buildExecProcess(container, { args: ['ls'], containerEnv: ['A=1'], env: ['B=2', 'A=3'], hostname: 'h', tty: true, consoleSize: [10, 20] });
    assert.deepEqual(p.args, ['ls']);
    assert.deepEqual(p.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h', 'TERM=xterm', 'A=3', 'B=2']);
    assert.equal(p.cwd, '/srv');
    assert.deepEqual(p.user, container.user);
    assert.deepEqual(p.capabilities, container.capabilities);
    assert.deepEqual(p.consoleSize, { height: 10, width: 20 });
  });

  it('applies -w, -u and --privileged', () => {
    const p = buildExecProcess(container, { args: ['id'], containerEnv: [], hostname: 'h', workingDir: '/tmp', user: { uid: 0, gid: 0, additionalGids: [0] }, privilegedCapabilities: HOST_CAPS });
    assert.equal(p.cwd, '/tmp');
    assert.equal(p.user.uid, 0);
    assert.deepEqual(p.capabilities?.effective, HOST_CAPS);
    assert.equal(p.terminal, false);
    rejects(() => buildExecProcess(container, { args: ['id'], containerEnv: [], hostname: 'h', workingDir: '/proc/self/fd/3' }), 'ERR_WORKDIR_UNSAFE');
  });
});
