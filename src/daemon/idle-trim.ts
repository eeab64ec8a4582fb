/**
 * berthd's memory settles back after bursts of work: a few seconds after the last request, a
 * full garbage collection and malloc_trim return what a large import or log stream used to the
 * kernel, so the daemon's idle RSS stays near its start-up size.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { logger } from '../core/log.js';
import { mallocTrim } from '../sys/libc.js';

const log = logger('daemon');
const QUIET_MS = 3000;

let gc: (() => void) | undefined;

function collector(): () => void {
  if (!gc) {
    // The collector is reachable without --expose-gc on the command line (berthd starts from a shebang).
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  return gc;
}

export class IdleTrimmer {
  private timer?: NodeJS.Timeout;

  /** Note activity: the trim runs once things have been quiet for a while. */
  poke(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.trim(), QUIET_MS);
    this.timer.unref();
  }

  trim(): void {
    this.timer = undefined;
    try {
      collector()();
      mallocTrim();
    } catch (e) {
      log.debug('idle trim failed', { error: (e as Error).message });
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
