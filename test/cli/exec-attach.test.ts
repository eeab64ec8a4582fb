/**
 * exec, attach, start -a and logs against a recording engine, docker CLI 28 as the oracle:
 * requests (inspect, exec create body, hijacked start with its JSON body, resize, exec inspect),
 * stream handling, TTY sessions in a pseudo-terminal, and exit statuses.
 */
import { describe, it } from 'node:test';
import { assertSameBehaviour } from './helpers/compare.js';
import { frame, type Route } from './helpers/fake-engine.js';
import { CID, containerRoutes, playBoth, reference, type ContainerScenario } from './helpers/scenario.js';

const running = (config: Record<string, unknown> = {}, state: Record<string, unknown> = {}) => {
  const base = reference<{ Config: Record<string, unknown>; State: Record<string, unknown> }>('container-inspect-running.response.json');
  return { ...base, Id: CID, Config: { ...base.Config, ...config }, State: { ...base.State, ...state } };
};

const both = (args: string[], s: ContainerScenario, opts: Parameters<typeof playBoth>[2] = {}) => playBoth(args, () => containerRoutes(s), opts);

const logRoutes = (tty: boolean, keepOpen = false): Route[] => [
  {
    method: 'GET',
    path: /^\/containers\/[^/]+\/logs$/,
    answer: { status: 200, chunks: tty ? ['out1\r\n', 'out2\r\n'] : [frame(1, 'out1\n'), frame(2, 'err1\n'), frame(1, 'out2\n')], chunkDelayMs: 5, keepOpen },
  },
];

describe('exec like docker', { concurrency: 4 }, () => {
  it('exec: inspect, create, hijacked start, exec inspect, exit code', async () => {
    assertSameBehaviour(await both(['exec', 'sample-x', 'echo', 'hi'], { exec: { output: [[1, 'hi\n']] } }));
    assertSameBehaviour(await both(['exec', 'sample-x', 'sh', '-c', 'exit 3'], { exec: { output: [[2, 'oops\n']], exitCode: 3 } }));
  });

  it('exec -i copies stdin and half-closes; -e, -w, -u, --privileged, --env-file in the body', async () => {
    assertSameBehaviour(await both(['exec', '-i', '-e', 'A=1', '-w', '/tmp', '-u', 'nobody', '--privileged', 'sample-x', 'cat'], { exec: { echoStdin: true } }, { stdin: 'fromstdin\n' }));
  });

  it('exec -d starts without a hijack', async () => {
    assertSameBehaviour(await both(['exec', '-d', 'sample-x', 'sleep', '1'], {}));
  });

  it('exec errors: missing container, stopped container, -t without a terminal, too few arguments', async () => {
    const missing: Route = { method: 'GET', path: /^\/containers\/nope\/json$/, answer: { status: 404, json: { message: 'No such container: nope' } } };
    assertSameBehaviour(await both(['exec', 'nope', 'ls'], { routes: [missing] }));
    const stopped: Route = { method: 'POST', path: /\/exec$/, answer: { status: 409, json: { message: `Container ${CID} is not running` } } };
    assertSameBehaviour(await both(['exec', 'sample-x', 'ls'], { routes: [stopped] }));
    assertSameBehaviour(await both(['exec', '-it', 'sample-x', 'sh'], {}, { stdin: 'x' }));
    assertSameBehaviour(await both(['exec', 'sample-x'], {}));
    // A start answered with anything but 101 is a failed hijack, whatever its body.
    const noUpgrade: Route = { method: 'POST', path: /^\/exec\/[^/]+\/start$/, answer: { status: 404, json: { message: 'No such exec instance' } } };
    assertSameBehaviour(await both(['exec', 'sample-x', 'ls'], { routes: [noUpgrade] }));
    const attachRefused: Route = { method: 'POST', path: /\/attach$/, answer: { status: 404, json: { message: 'No such container' } } };
    assertSameBehaviour(await both(['run', 'busybox'], { routes: [attachRefused] }));
  });

  it('exec -it in a pseudo-terminal: raw stream, exec resize, exit code (exec-it)', async () => {
    const exec = { tty: true, banner: '/ # ', untilStdin: 'exit 3\r', output: [[1, 'echo hi\r\nhi\r\n/ # exit 3\r\n']] as Array<[1, string]>, exitCode: 3 };
    assertSameBehaviour(await both(['exec', '-it', 'sample-x', 'sh'], { exec }, { pty: { input: 'echo hi\rexit 3\r' } }));
  });
});

describe('attach, start -a and logs like docker', { concurrency: 4 }, () => {
  it('start -a attaches before starting and exits with the status', async () => {
    assertSameBehaviour(await both(['start', '-a', 'sample-x'], { inspect: running({ Tty: false }), program: { output: [[1, 'hello\n'], [2, 'warn\n']], exitCode: 2 } }));
  });

  it('start -ai copies stdin', async () => {
    assertSameBehaviour(await both(['start', '-ai', 'sample-x'], { inspect: running({ OpenStdin: true }), program: { echoStdin: true } }, { stdin: 'abc\n' }));
  });

  it('start -a with several containers is refused; plain start prints names and failures', async () => {
    assertSameBehaviour(await both(['start', '-a', 'a', 'b'], {}));
    const missing: Route = { method: 'POST', path: /^\/containers\/b\/start$/, answer: { status: 404, json: { message: 'No such container: b' } } };
    assertSameBehaviour(await both(['start', 'a', 'b'], { routes: [missing] }));
  });

  it('attach to a running container: wait first, inspect, attach, inspect again, stream, status', async () => {
    assertSameBehaviour(await both(['attach', 'sample-x'], { alreadyRunning: true, inspect: running(), program: { output: [[1, 'tick\n']], exitCode: 4 } }));
    assertSameBehaviour(
      await both(['attach', '--no-stdin', '--sig-proxy=false', '--detach-keys', 'ctrl-a', 'sample-x'], { alreadyRunning: true, inspect: running({ OpenStdin: true }), program: { output: [[1, 'x\n']] } }),
    );
    assertSameBehaviour(await both(['attach', 'sample-x'], { alreadyRunning: true, inspect: running({ OpenStdin: true }), program: { echoStdin: true } }, { stdin: 'in\n' }));
  });

  it('attach refuses stopped and paused containers', async () => {
    assertSameBehaviour(await both(['attach', 'sample-x'], { inspect: running({}, { Running: false, Status: 'exited' }) }));
    assertSameBehaviour(await both(['attach', 'sample-x'], { inspect: running({}, { Paused: true }) }));
  });

  it('logs: inspect then logs with docker query; frames split to stdout/stderr; raw for TTY', async () => {
    assertSameBehaviour(await both(['logs', 'sample-x'], { inspect: running({ Tty: false }), routes: logRoutes(false) }));
    assertSameBehaviour(await both(['logs', 'sample-x'], { inspect: running({ Tty: true }), routes: logRoutes(true) }));
    assertSameBehaviour(
      await both(['logs', '-t', '--details', '--since', '2026-11-26T20:00:00Z', '--until', '1795723500.5', '-n', '5', 'sample-x'], { inspect: running(), routes: logRoutes(false) }),
    );
    assertSameBehaviour(await both(['logs', '--since', '2026-11-26T20:00:00.5+01:00', '--tail', '0', 'sample-x'], { inspect: running(), routes: logRoutes(false) }));
    assertSameBehaviour(await both(['logs', '--until', 'bogus', 'sample-x'], { inspect: running(), routes: logRoutes(false) }));
  });

  it('logs -f until Ctrl-C exits 130', async () => {
    assertSameBehaviour(await both(['logs', '-f', 'sample-x'], { inspect: running(), routes: logRoutes(false, true) }, { signal: 'SIGINT', signalWhen: (r) => r.url.includes('/logs') }));
  });

  it('detach keys on a terminal: run -it and start -ai end with 0, attach and exec -it with "read escape sequence"', async () => {
    const tty = { ...running({ Tty: true, OpenStdin: true }) };
    const program = { tty: true, banner: '/ # ', runForever: true };
    const exec = { tty: true, banner: '# ', untilStdin: 'never' };
    const scenario = (attach: boolean): ContainerScenario => ({ alreadyRunning: attach, inspect: tty, program, exec });
    assertSameBehaviour(await both(['run', '-it', 'busybox', 'sh'], scenario(false), { pty: { input: 'ab\x10\x11' } }));
    assertSameBehaviour(await both(['run', '-it', '--detach-keys', 'ctrl-x', 'busybox', 'sh'], scenario(false), { pty: { input: 'a\x18' } }));
    assertSameBehaviour(await both(['start', '-ai', 'sample-x'], scenario(false), { pty: { input: '\x10\x11' } }));
    assertSameBehaviour(await both(['attach', 'sample-x'], scenario(true), { pty: { input: 'x\x10y\x10\x11' } }));
    assertSameBehaviour(await both(['exec', '-it', 'sample-x', 'sh'], scenario(true), { pty: { input: 'ls\x10\x11' } }));
  });

  it('logs of a missing container', async () => {
    const missing: Route = { method: 'GET', path: /^\/containers\/nope\/json$/, answer: { status: 404, json: { message: 'No such container: nope' } } };
    assertSameBehaviour(await both(['logs', 'nope'], { routes: [missing] }));
  });
});
