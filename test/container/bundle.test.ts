/**
 * From a container record to the runtime's options: mounts (-v, --mount, --tmpfs) with dockerd's
 * checks, and the cgroup namespace of records made before berthd applied CgroupnsMode.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkMountPoints, parseMounts, specOptions } from '../../src/container/bundle.js';
import type { ContainerRecord, HostConfig } from '../../src/container/contract.js';

function record(hostConfig: HostConfig, extra: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    id: 'a'.repeat(64),
    name: '/x',
    created: '',
    path: 'sh',
    args: [],
    config: {},
    hostConfig,
    image: `sha256:${'b'.repeat(64)}`,
    state: { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: '', finishedAt: '', manuallyStopped: false, restartCount: 0 },
    logPath: '/tmp/x.log',
    driver: 'overlayfs',
    ...extra,
  } as ContainerRecord;
}

describe('container bundle options', () => {
  it('turns --mount binds and tmpfs into mounts, with dockerd\'s messages for bad ones', () => {
    const { binds, tmpfs } = parseMounts([
      { Type: 'bind', Source: '/tmp', Target: '/m', ReadOnly: true, BindOptions: { Propagation: 'rslave' } },
      { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } },
    ]);
    assert.deepEqual(binds, [{ source: '/tmp', destination: '/m', readonly: true, propagation: 'rslave' }]);
    assert.deepEqual(tmpfs, { '/t': 'size=1048576,mode=1777' });
    const refuses = (m: Parameters<typeof parseMounts>[0][0], message: RegExp) => assert.throws(() => parseMounts([m]), message);
    refuses({ Type: 'bind', Source: '/nonexistent-berth', Target: '/m' }, /invalid mount config for type "bind": bind source path does not exist: \/nonexistent-berth$/);
    refuses({ Type: 'bind', Source: 'rel', Target: '/m' }, /invalid mount path: 'rel' mount path must be absolute/);
    refuses({ Type: 'bind', Source: '/tmp', Target: '/' }, /destination can't be '\/'/);
    refuses({ Type: 'bind', Source: '/tmp' }, /field Target must not be empty/);
    refuses({ Type: 'volume', Source: 'v', Target: '/m' }, /named volumes are not supported by berthd yet/);
    refuses({ Type: 'npipe', Target: '/m' }, /mount type unknown/);
    refuses({ Type: 'bind', Source: '/tmp', Target: '/m', BindOptions: { Propagation: 'bogus' } }, /invalid propagation mode: bogus/);
  });

  it('refuses two mounts on one place (a read-only bind would be hidden by a writable one)', () => {
    assert.throws(() => checkMountPoints({ Binds: ['/tmp:/x:ro'], Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/x/' }] }), /Duplicate mount point: \/x$/);
    assert.throws(() => checkMountPoints({ Binds: ['/tmp:/x'], Tmpfs: { '/x': '' } }), /Duplicate mount point: \/x/);
    checkMountPoints({ Binds: ['/tmp:/x', '/tmp:/y'], Tmpfs: { '/z': '' } });
  });

  it('keeps the private cgroup namespace of records made before CgroupnsMode was applied', () => {
    const spec = (rec: ContainerRecord) => specOptions(rec, '/rootfs', '/tmp/dir');
    assert.equal(spec(record({ CgroupnsMode: 'host' })).cgroupns, undefined, 'old record: the version default, as it ran');
    assert.equal(spec(record({ CgroupnsMode: 'host' }, { cgroupnsApplied: true })).cgroupns, 'host');
    assert.equal(spec(record({ CgroupnsMode: 'private' })).cgroupns, 'private');
  });
});
