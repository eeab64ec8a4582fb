import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mergeConfig, parseHost, readConfigFile } from '../../src/daemon/config.js';
import { tempDir } from '../helpers/tmp.js';

describe('daemon configuration', () => {
  it('reads Docker daemon.json keys and lets flags win', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'daemon.json');
    writeFileSync(file, JSON.stringify({ 'data-root': '/d', hosts: ['unix:///x.sock'], debug: true, runtimes: { fast: { path: '/usr/bin/crun' } } }));
    const cfg = mergeConfig(await readConfigFile(file, true), { dataRoot: '/flag' });
    assert.equal(cfg.dataRoot, '/flag');
    assert.deepEqual(cfg.hosts, ['unix:///x.sock']);
    assert.equal(cfg.logLevel, 'debug');
    assert.equal(cfg.runtimes.fast.path, '/usr/bin/crun');
    assert.equal(cfg.layerSync, true, 'layers are flushed to disk unless asked otherwise');
  });

  it('takes layer-sync from daemon.json, a flag overriding it', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'daemon.json');
    writeFileSync(file, JSON.stringify({ 'layer-sync': false }));
    const fromFile = await readConfigFile(file, true);
    assert.equal(mergeConfig(fromFile, {}).layerSync, false);
    assert.equal(mergeConfig(fromFile, { layerSync: true }).layerSync, true);
    writeFileSync(file, JSON.stringify({ 'layer-sync': 'no' }));
    await assert.rejects(readConfigFile(file, true), /layer-sync: expected true or false/);
  });

  it('names the key and the problem for values of the wrong type', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'daemon.json');
    for (const [body, message] of [
      [{ hosts: 'unix:///x.sock' }, /hosts: expected a list/],
      [{ debug: 'yes' }, /debug: expected true or false/],
      [{ runtimes: { r: {} } }, /runtimes\.r\.path: required/],
      [[1, 2], /expected a JSON object/],
    ] as const) {
      writeFileSync(file, JSON.stringify(body));
      await assert.rejects(readConfigFile(file, true), (e: Error) => message.test(e.message));
    }
    assert.deepEqual(await readConfigFile(join(dir, 'missing.json'), false), {});
    await assert.rejects(readConfigFile(join(dir, 'missing.json'), true), /unable to read configuration file/);
  });

  it('parses -H values and follows --exec-root for the default socket', () => {
    assert.deepEqual(parseHost('unix:///run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
    assert.deepEqual(parseHost('tcp://127.0.0.1:2376'), { kind: 'tcp', host: '127.0.0.1', port: 2376 });
    assert.throws(() => parseHost('unix://relative.sock'), /must be absolute/);
    assert.throws(() => parseHost('http://x'), /expected unix:\/\/\/path or tcp:\/\/host:port/);
    assert.deepEqual(mergeConfig({}, { execRoot: '/tmp/er' }).hosts, ['unix:///tmp/er/berth.sock']);
    assert.throws(() => mergeConfig({}, { logLevel: 'loud' }), /invalid log level "loud"/);
  });
});
