/** A file parsed once and parsed again when it changes (checked at most once a second). */
import * as fsp from 'node:fs/promises';

const RECHECK_MS = 1000;

export class ReloadingFile<T> {
  private value: T | undefined;
  private mtimeMs = -1;
  private checkedAt = 0;

  constructor(
    private readonly file: string,
    private readonly parse: (file: string) => Promise<T>,
  ) {}

  async get(): Promise<T> {
    if (this.value !== undefined && Date.now() - this.checkedAt < RECHECK_MS) return this.value;
    this.checkedAt = Date.now();
    const st = await fsp.stat(this.file);
    if (this.value === undefined || st.mtimeMs !== this.mtimeMs) {
      this.value = await this.parse(this.file);
      this.mtimeMs = st.mtimeMs;
    }
    return this.value;
  }
}
