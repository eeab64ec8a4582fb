import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BERTH, run } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

describe('berth registry (through the berth CLI)', () => {
  it('serves the distribution API and runs gc on the same root', async (t) => {
    const root = join(await tempDir(t, 'bt-reg-'), 'root');
    const p = spawn(BERTH, ['registry', 'serve', '--root', root, '--addr', '127.0.0.1:0', '--access-log', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => p.kill('SIGKILL'));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const onData = (b: Buffer) => {
        out += b.toString();
        const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
        if (m) resolve(m[1]);
      };
      p.stdout!.on('data', onData);
      p.stderr!.on('data', onData);
      p.once('exit', () => reject(new Error(`berth registry exited: ${out}`)));
    });
    const v2 = await run('curl', ['-sS', '-i', `${url}/v2/`]);
    assert.match(v2.stdout, /^HTTP\/1\.1 200 OK/);
    assert.match(v2.stdout, /Docker-Distribution-Api-Version: registry\/2\.0/i);
    const missing = await run('curl', ['-sS', `${url}/v2/nope/manifests/latest`]);
    assert.match(JSON.parse(missing.stdout).errors[0].code, /^(MANIFEST|NAME)_UNKNOWN$/);
    const gc = await run(BERTH, ['registry', 'gc', '--root', root, '--dry-run']);
    assert.equal(gc.code, 0, gc.stderr);
    const help = await run(BERTH, ['registry', '--help']);
    assert.match(help.stdout, /^Usage: berth registry/);
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
  });
});
