/**
 * --sig-proxy: every signal berth receives is sent on to the container as
 * `POST /containers/{id}/kill?signal=NAME` (docker's ForwardAllSignals; SIGCHLD, SIGPIPE and
 * the signals Node cannot catch are left alone).
 */
import type { EngineClient } from '../../client/engine.js';

// The signals a Node process can listen for (SIGKILL/SIGSTOP cannot be caught; SIGSEGV, SIGBUS,
// SIGFPE and SIGILL are reserved by Node).
const FORWARDED: NodeJS.Signals[] = [
  'SIGABRT', 'SIGALRM', 'SIGCONT', 'SIGHUP', 'SIGINT', 'SIGIO', 'SIGPROF', 'SIGPWR', 'SIGQUIT', 'SIGSTKFLT', 'SIGSYS', 'SIGTERM',
  'SIGTRAP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGUSR2', 'SIGVTALRM', 'SIGWINCH', 'SIGXCPU', 'SIGXFSZ',
];

/** Start forwarding; returns the function that stops it. */
export function forwardAllSignals(engine: EngineClient, containerId: string): () => void {
  const handlers = FORWARDED.map((sig) => {
    const handler = () => {
      engine.call('POST', `/containers/${containerId}/kill`, { query: { signal: sig.slice(3) } }).catch(() => undefined);
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    for (const [sig, handler] of handlers) process.removeListener(sig, handler);
  };
}
