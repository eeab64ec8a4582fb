/**
 * `run` flows against a recording engine, docker CLI 28 as the oracle: create → attach (101,
 * before start) → wait (headers at once) → start; output demultiplexed; stdin copied and
 * half-closed; -t in a pseudo-terminal with resize; -d; pulls; start failures and exit codes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSameBehaviour, sortEnv } from './helpers/compare.js';
import { containerRoutes, playBoth, type ContainerScenario } from './helpers/scenario.js';

const both = (args: string[], s: ContainerScenario = {}, opts: Parameters<typeof playBoth>[2] = {}) => playBoth(args, () => containerRoutes(s), opts);

describe('run like docker', { concurrency: 4 }, () => {
  it('run --rm busybox echo hi: attach before start, wait removed, output, status 0', async () => {
    const r = await both(['run', '--rm', 'busybox', 'echo', 'hi'], { program: { output: [[1, 'hi\n']] } });
    assertSameBehaviour(r);
    assert.equal(r.berth.result.stdout, 'hi\n');
    assert.deepEqual(
      r.berth.requests.map((q) => q.request.replace(/[0-9a-f]{64}/, 'ID')),
      ['POST /v1.41/containers/create', 'POST /v1.41/containers/ID/attach?stderr=1&stdout=1&stream=1', 'POST /v1.41/containers/ID/wait?condition=removed', 'POST /v1.41/containers/ID/start'],
    );
  });

  it('separates stdout and stderr frames and exits with the container status', async () => {
    const r = await both(['run', 'busybox', 'sh', '-c', 'x'], { program: { output: [[1, 'out1\n'], [2, 'err1\n'], [1, 'out2\n']], exitCode: 3 } });
    assertSameBehaviour(r);
    assert.equal(r.berth.result.code, 3);
  });

  it('-i copies stdin before start and half-closes it (run-i)', async () => {
    const r = await both(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo err >&2; exit 4'], { program: { echoStdin: true, output: [[2, 'err\n']], exitCode: 4 } }, { stdin: 'line1\nline2\n' });
    assertSameBehaviour(r, { normalize: sortEnv });
    assert.equal(r.berth.result.code, 4);
  });

  it('-a stdout only attaches stdout', async () => {
    assertSameBehaviour(await both(['run', '-a', 'stdout', 'busybox'], { program: { output: [[1, 'o\n']] } }));
    assertSameBehaviour(await both(['run', '-a', 'stderr', '-a', 'stdin', 'busybox'], { program: { output: [[2, 'e\n']] } }, { stdin: 'x' }));
  });

  it('-d prints the ID, registers next-exit and drops the wait', async () => {
    const r = await both(['run', '-d', '--name', 'sample-x', 'busybox', 'busybox', 'sleep', '100'], { program: { runForever: true } });
    assertSameBehaviour(r);
  });

  it('--sig-proxy forwards the signals berth receives as kill?signal=', async () => {
    const program = { output: [[1, 'ready\n']] as Array<[1, string]>, runForever: true, exitOnKill: 143 };
    for (const signal of ['SIGTERM', 'SIGUSR2', 'SIGHUP'] as const) {
      const r = await both(['run', '--rm', 'busybox', 'sleep', '100'], { program }, { signal, signalWhen: (q) => q.url.endsWith('/start') });
      assertSameBehaviour(r);
      assert.equal(r.berth.result.code, 143);
    }
  });

  it('--detach-keys and --sig-proxy=false reach the attach', async () => {
    assertSameBehaviour(await both(['run', '--detach-keys', 'ctrl-x,x', '--sig-proxy=false', 'busybox'], { program: { output: [[1, 'a\n']] } }));
  });

  it('--cidfile is written with the ID', async () => {
    assertSameBehaviour(await both(['run', '--cidfile', 'cid', '-d', 'busybox'], { program: { runForever: true } }));
  });

  it('pulls a missing image (run-pull) and reports a failed pull with 125', async () => {
    assertSameBehaviour(await both(['run', '--rm', '127.0.0.1:5010/sample/busybox:v1', 'echo', 'hi'], { missingImage: true, program: { output: [[1, 'hi\n']] } }));
    assertSameBehaviour(await both(['run', 'nosuch'], { missingImage: true, pullStatus: 404, pullError: "pull access denied for nosuch, repository does not exist or may require a login" }));
  });

  it('maps start failures to 127, 126 and 125 like docker', async () => {
    for (const [message, rm] of [
      ['failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "sleep": executable file not found in $PATH: unknown', true],
      ['failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/etc": is a directory: unknown', false],
      ['failed to create shim task: OCI runtime create failed: unable to start container process: exec: "/x": permission denied: unknown', false],
      ['something else broke', false],
    ] as const) {
      const args = rm ? ['run', '--rm', 'busybox', 'sleep', '1'] : ['run', 'busybox', 'sleep', '1'];
      assertSameBehaviour(await both(args, { startStatus: 400, startMessage: message }));
      assertSameBehaviour(await both(['run', '-d', ...args.slice(1)], { startStatus: 400, startMessage: message }));
    }
  });

  it('reports create failures with 125 and the help hint', async () => {
    assertSameBehaviour(await both(['run', '--name', 'x', 'busybox'], { createStatus: 400, createMessage: 'Invalid container name (x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' }));
    assertSameBehaviour(await both(['run', 'busybox'], { createStatus: 400, createMessage: 'No command specified' }));
  });

  it('refuses -t without a terminal on stdin, and -d with -a', async () => {
    assertSameBehaviour(await both(['run', '-it', 'busybox'], {}, { stdin: 'x' }));
    assertSameBehaviour(await both(['run', '-d', '-a', 'stdout', 'busybox']));
  });

  it('-it in a pseudo-terminal: TTY create body with ConsoleSize, raw stream, resize, exit status (run-it)', async () => {
    const program = { tty: true, banner: '/ # ', untilStdin: 'exit 5\r', output: [[1, 'echo hi\r\nhi\r\n/ # exit 5\r\n']] as Array<[1, string]>, exitCode: 5 };
    const r = await both(['run', '--rm', '-it', '--name', 'sample-it', 'busybox', 'sh'], { program }, { pty: { input: 'echo hi\rexit 5\r' } });
    assertSameBehaviour(r, { normalize: sortEnv });
    assert.equal(r.berth.result.code, 5);
    assert.ok(r.berth.requests.some((q) => /\/resize\?h=30&w=100$/.test(q.request)));
  });

  it('-t without -i in a pseudo-terminal', async () => {
    const program = { tty: true, output: [[1, 'hello\r\n']] as Array<[1, string]> };
    assertSameBehaviour(await both(['run', '-t', 'busybox', 'echo', 'hello'], { program }, { pty: { input: '' } }), { normalize: sortEnv });
  });
});
