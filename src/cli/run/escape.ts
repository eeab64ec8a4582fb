/**
 * The detach key sequence (default ctrl-p,ctrl-q) as the docker CLI watches for it on a terminal:
 * a partial match is held back and released when the next key does not continue it; a full
 * match ends the input (the user detached).
 */

const CTRL_NAMES = ['ctrl-@', ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `ctrl-${c}`), 'ctrl-[', 'ctrl-\\', 'ctrl-]', 'ctrl-^', 'ctrl-_'];

export const DEFAULT_DETACH_KEYS = Buffer.from([16, 17]);

/** moby/term ToBytes: "ctrl-p,ctrl-q", "a", "DEL". */
export function detachKeysToBytes(keys: string): Buffer {
  const codes: number[] = [];
  for (const key of keys.split(',')) {
    if (key.length === 1) {
      codes.push(key.charCodeAt(0));
      continue;
    }
    const code = CTRL_NAMES.indexOf(key);
    if (code >= 0) codes.push(code);
    else if (key === 'DEL') codes.push(127);
    else throw new Error(`Unknown character: '${key}'`);
  }
  return Buffer.from(codes);
}

export class EscapeDetector {
  /** How many keys of the sequence the input has matched so far (held back, not forwarded). */
  private pos = 0;

  constructor(private readonly keys: Buffer) {}

  /**
   * What to forward for this chunk, and whether the sequence is now complete. The sequence may
   * sit anywhere in a chunk or span chunks; bytes before it are forwarded, the sequence never is.
   */
  feed(chunk: Buffer): { forward: Buffer; detached: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detached: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b !== this.keys[this.pos] && this.pos > 0) {
        out.push(...this.keys.subarray(0, this.pos));
        this.pos = 0;
      }
      if (b === this.keys[this.pos]) {
        this.pos++;
        if (this.pos === this.keys.length) {
          this.pos = 0;
          return { forward: Buffer.from(out), detached: true };
        }
        continue;
      }
      out.push(b);
    }
    return { forward: Buffer.from(out), detached: false };
  }
}
