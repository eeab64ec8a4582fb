/**
 * The detach key sequence (default ctrl-p,ctrl-q) as the docker CLI watches for it on a terminal:
 * keys arriving one per read are matched; a partial match is held back and released when the
 * next key does not continue it; a full match ends the input (the user detached).
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
  private pos = 0;

  constructor(private readonly keys: Buffer) {}

  /** What to forward for this chunk, and whether the sequence is now complete. */
  feed(chunk: Buffer): { forward: Buffer; detached: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detached: false };
    const held = () => {
      const out: Buffer = Buffer.concat([this.keys.subarray(0, this.pos), chunk]);
      this.pos = 0;
      return out;
    };
    if (chunk.length !== 1) return { forward: this.pos > 0 ? held() : chunk, detached: false };
    if (chunk[0] !== this.keys[this.pos]) return { forward: this.pos > 0 ? held() : chunk, detached: false };
    if (this.pos === this.keys.length - 1) return { forward: Buffer.alloc(0), detached: true };
    this.pos++;
    return { forward: Buffer.alloc(0), detached: false };
  }
}
