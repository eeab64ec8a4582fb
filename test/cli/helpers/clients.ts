/**
 * Runs the two clients under comparison (the real docker CLI and berth) against a fake engine,
 * with pipes or inside a pseudo-terminal, bounded in time.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = new URL('../../../..', import.meta.url).pathname.replace(/\/$/, '');
export const BERTH_BIN = join(REPO_ROOT, 'bin', 'berth');

export interface ClientResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface RunOptions {
  stdin?: string | Buffer;
  /** Keep stdin open (no EOF) instead of closing it after `stdin`. */
  keepStdinOpen?: boolean;
  env?: Record<string, string>;
  timeoutMs?: number;
  cwd?: string;
  /** Send this signal after `signalAfterMs` (e.g. SIGINT to stop `logs -f`). */
  signal?: NodeJS.Signals;
  signalAfterMs?: number;
  /** Send `signal` when this settles (instead of after signalAfterMs). */
  signalOn?: Promise<unknown>;
}

export type Client = 'docker' | 'berth';

export function clientArgv(client: Client, host: string, args: string[]): string[] {
  return client === 'docker' ? ['docker', ...args] : [process.execPath, BERTH_BIN, '-H', host, ...args];
}

export function clientEnv(client: Client, host: string, configDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, DOCKER_CONFIG: configDir, HOME: configDir, TZ: 'UTC', COLUMNS: '80' };
  delete env.BERTH_HOST;
  if (client === 'docker') env.DOCKER_HOST = host;
  else delete env.DOCKER_HOST;
  return env;
}

/** Run a command with pipes; kill it (SIGKILL) after the timeout. */
export function runProcess(argv: string[], env: NodeJS.ProcessEnv, opts: RunOptions = {}): Promise<ClientResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.stdin.on('error', () => undefined);
    if (opts.stdin !== undefined) child.stdin.write(opts.stdin);
    if (!opts.keepStdinOpen) child.stdin.end();
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15000);
    let signaller: NodeJS.Timeout | undefined;
    if (opts.signal && opts.signalOn) void opts.signalOn.then(() => child.exitCode === null && child.kill(opts.signal));
    else if (opts.signal) signaller = setTimeout(() => child.kill(opts.signal), opts.signalAfterMs ?? 500);
    child.on('close', (code, sig) => {
      clearTimeout(killer);
      if (signaller) clearTimeout(signaller);
      resolve({ stdout, stderr: stderr + (sig === 'SIGKILL' ? '\n[killed: timeout]\n' : ''), code });
    });
  });
}

// A pseudo-terminal driver: the child gets a pty of the given size as stdin/stdout/stderr; the
// input is typed once the child has printed something (its terminal is then in raw mode).
const PTY_DRIVER = String.raw`
import os, pty, sys, select, time, struct, fcntl, termios, json, base64
argv = json.loads(sys.argv[1]); data = base64.b64decode(sys.argv[2])
rows, cols, timeout = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.execvpe(argv[0], argv, os.environ)
out = b''; sent = False; deadline = time.time() + timeout
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not sent and (out or not data):
        time.sleep(0.2); os.write(fd, data); sent = True
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
sys.stdout.write(json.dumps({'out': base64.b64encode(out).decode(), 'code': code}))
`;

/** Run a command inside a pseudo-terminal of rows x cols, typing `input` once it has printed. */
export async function runInPty(argv: string[], env: NodeJS.ProcessEnv, input: string, rows = 30, cols = 100, timeoutMs = 15000): Promise<ClientResult> {
  const r = await runProcess(
    ['python3', '-c', PTY_DRIVER, JSON.stringify(argv), Buffer.from(input).toString('base64'), String(rows), String(cols), String(timeoutMs / 1000)],
    env,
    { timeoutMs: timeoutMs + 5000 },
  );
  if (r.code !== 0) return { stdout: '', stderr: `pty driver failed: ${r.stderr}`, code: null };
  const { out, code } = JSON.parse(r.stdout) as { out: string; code: number };
  return { stdout: Buffer.from(out, 'base64').toString('utf8'), stderr: '', code };
}
