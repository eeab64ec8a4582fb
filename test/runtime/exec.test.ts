/**
 * `docker exec` under conmon (`conmon -e --exec-attach`): output and exit code, stdin, a tty with
 * resize, a detached exec, failures with Docker's exit codes, and the exit code being known
 * before the attach stream ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BerthError } from '../../src/core/errors.js';
import { buildExecProcess, type ExecProcessOptions } from '../../src/runtime/spec-exec.js';
import { resolveUser } from '../../src/runtime/user.js';
import { collect, harness, newId, pokeUntil, record, type ContainerUnderTest, type Harness } from './harness.js';

describe('exec', { timeout: 120_000 }, () => {
  let h: Harness;
  let ctr: ContainerUnderTest;
  before(async () => {
    h = await harness();
    ctr = await h.create({ args: ['sleep', '1000'], env: ['FROM_IMAGE=1'], workingDir: '/tmp' });
    await h.rt.start(ctr.id);
  });
  after(async () => {
    await h.rt.kill(ctr.id, 'KILL').catch(() => undefined);
    await h.close();
  });

  const processFor = (o: Partial<ExecProcessOptions> & { args: string[] }) =>
    buildExecProcess(ctr.spec.process, { containerEnv: ['FROM_IMAGE=1'], hostname: 'exec-host', ...o });

  it('runs a command with separate stdout/stderr and its exit code, known before the stream ends', async () => {
    const session = await h.rt.exec(ctr.id, {
      execId: newId(),
      attach: true,
      process: processFor({ args: ['sh', '-c', 'pwd; echo "$FROM_IMAGE $EXTRA $HOSTNAME"; echo oops >&2; exit 3'], env: ['EXTRA=2'] }),
    });
    assert.ok(session.pid > 0);
    let code: number | undefined;
    void session.exitCode.then((c) => (code = c));
    const stream = session.stream;
    assert.ok(stream);
    const endedWith = new Promise<number | undefined>((resolve) => stream.on('end', () => resolve(code)));
    const out = await collect(stream);
    assert.equal(out.stdout, '/tmp\n1 2 exec-host\n');
    assert.equal(out.stderr, 'oops\n');
    assert.equal(await endedWith, 3, 'the exit code was settled when the stream ended');
    assert.equal(await h.rt.execExitCode(ctr.id, session.paths.dir.split('/').at(-1) as string), 3);
  });

  it('feeds stdin and closes it on half-close', async () => {
    const session = await h.rt.exec(ctr.id, { execId: newId(), attach: true, stdin: true, process: processFor({ args: ['sh', '-c', 'cat; echo done'] }) });
    const stream = session.stream;
    assert.ok(stream);
    const out = collect(stream);
    await stream.sendStdin('from stdin\n');
    await stream.closeStdin();
    assert.equal((await out).stdout, 'from stdin\ndone\n');
    assert.equal(await session.exitCode, 0);
  });

  it('gives a tty with its size, resizable, and an exit code', async () => {
    const execId = newId();
    const session = await h.rt.exec(ctr.id, {
      execId,
      attach: true,
      stdin: true,
      process: processFor({ args: ['sh', '-c', 'stty size; while read x; do [ "$x" = q ] && exit 7; stty size; done'], tty: true, consoleSize: [30, 100] }),
    });
    const stream = session.stream;
    assert.ok(stream);
    const out = record(stream);
    await out.waitFor('30 100');
    await h.rt.resizeExec(ctr.id, execId, 40, 120);
    // conmon applies the new size asynchronously: ask the shell again until it sees it.
    await pokeUntil(out, '40 120', () => stream.sendStdin('\n'));
    await stream.sendStdin('q\n');
    assert.match((await out.done).stdout, /30 100\r\n[\s\S]*40 120\r\n/);
    assert.equal(await session.exitCode, 7);
  });

  it('runs detached (exec -d) and as another user', async () => {
    const session = await h.rt.exec(ctr.id, { execId: newId(), attach: false, process: processFor({ args: ['sh', '-c', 'echo detached > /tmp/mark; exit 5'] }) });
    assert.equal(session.stream, undefined);
    assert.equal(await session.exitCode, 5);
    const user = resolveUser('alice', 'alice:x:1000:1000::/:/bin/sh\n', 'staff:x:50:alice\n');
    const check = await h.rt.exec(ctr.id, { execId: newId(), attach: true, process: processFor({ args: ['sh', '-c', 'cat /tmp/mark; id -u; id -G'], user }) });
    assert.equal((await collect(check.stream as NonNullable<typeof check.stream>)).stdout, 'detached\n1000\n1000 50\n');
  });

  it('fails with Docker\'s exit codes when the command cannot run', async () => {
    const run = (args: string[]) => h.rt.exec(ctr.id, { execId: newId(), attach: true, process: processFor({ args }) });
    await assert.rejects(run(['nosuch']), (e: unknown) => {
      assert.ok(e instanceof BerthError);
      assert.equal(e.code, 'ERR_RUNTIME_EXEC');
      assert.match(e.message, /executable file not found in \$PATH/);
      assert.deepEqual(e.detail, { exitCode: 127 });
      return true;
    });
    await assert.rejects(run(['/etc/passwd']), (e: unknown) => e instanceof BerthError && (e.detail as { exitCode: number }).exitCode === 126);
  });
});
