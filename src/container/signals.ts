/** Signal names and numbers as `docker kill -s` and `--stop-signal` accept them. */
import * as os from 'node:os';
import { invalid } from '../core/errors.js';

const SIGNALS = os.constants.signals as Record<string, number>;

/** `KILL`, `SIGKILL`, `kill` or `9` → 9. Throws Docker's "Invalid signal" for anything else. */
export function parseSignal(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = t.toUpperCase().startsWith('SIG') ? t.toUpperCase() : `SIG${t.toUpperCase()}`;
    if (name in SIGNALS) return SIGNALS[name];
    const rt = /^SIGRTMIN(\+\d+)?$/.exec(name) ?? /^SIGRTMAX(-\d+)?$/.exec(name);
    if (rt) return name.startsWith('SIGRTMIN') ? 34 + Number(rt[1] ?? 0) : 64 + Number(rt[1] ?? 0);
  }
  throw invalid('ERR_SIGNAL', `Invalid signal: ${text}`);
}

export const SIGKILL = 9;
export const SIGTERM = 15;
