/** A writable that discards everything (quiet pulls, unattached streams). */
import { Writable } from 'node:stream';

export function devNull(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}
