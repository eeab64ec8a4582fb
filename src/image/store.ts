/**
 * The image index: image records and the references that name them, kept in memory and
 * persisted under `<data-root>/images/`:
 *
 *   images/records/<config-hex>.json   one ImageRecord per image
 *   images/references.json             { "references": { "<normalised ref>": "<image id>" } }
 *
 * Every write is atomic; writes are serialised by one mutex. A record is written before any
 * reference to it, and removed after every reference to it, so after a crash a reference never
 * points at a missing record (records without references are dangling images, as in Docker).
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { hexOf, isDigest, type Digest } from '../core/digest.js';
import { errnoCode, notFound } from '../core/errors.js';
import { ensureDir, readJsonIfExists, removeTempLeftovers, writeJsonAtomic } from '../core/fsutil.js';
import { logger } from '../core/log.js';
import { Mutex } from '../core/mutex.js';
import type { ImageRecord } from './contract.js';
import { familiarReference, formatReference, parseReference, DEFAULT_TAG, type Reference } from './reference.js';

const log = logger('image');

interface ReferencesFile {
  references: Record<string, Digest>;
}

export class ImageIndex {
  private readonly records = new Map<Digest, ImageRecord>();
  private readonly refs = new Map<string, Digest>();
  private readonly recordsDir: string;
  private readonly refsFile: string;
  readonly lock = new Mutex();

  private constructor(readonly dir: string) {
    this.recordsDir = path.join(dir, 'records');
    this.refsFile = path.join(dir, 'references.json');
  }

  static async open(dir: string): Promise<ImageIndex> {
    const index = new ImageIndex(dir);
    await ensureDir(index.recordsDir);
    await removeTempLeftovers(index.recordsDir);
    await removeTempLeftovers(dir);
    for (const name of await fsp.readdir(index.recordsDir)) {
      const file = path.join(index.recordsDir, name);
      try {
        const rec = JSON.parse(await fsp.readFile(file, 'utf8')) as ImageRecord;
        if (!isDigest(rec.id) || hexOf(rec.id) !== name.replace(/\.json$/, '')) throw new Error('record id does not match its file name');
        index.records.set(rec.id, rec);
      } catch (e) {
        // A record that cannot be read is moved aside, never silently used or deleted.
        log.error('unreadable image record moved aside', { file, error: (e as Error).message });
        await fsp.rename(file, `${file}.corrupt`).catch(() => {});
      }
    }
    const refs = await readJsonIfExists<ReferencesFile>(index.refsFile);
    for (const [ref, id] of Object.entries(refs?.references ?? {})) {
      if (index.records.has(id)) index.refs.set(ref, id);
      else log.warn('reference to a missing image dropped', { ref, id });
    }
    return index;
  }

  get(id: Digest): ImageRecord | undefined {
    return this.records.get(id);
  }

  all(): ImageRecord[] {
    return [...this.records.values()];
  }

  /** Images whose parent is `id`. */
  children(id: Digest): ImageRecord[] {
    return this.all().filter((r) => r.parent === id);
  }

  /** References naming `id`, parsed, tags first then digests, each sorted. */
  references(id: Digest): Reference[] {
    const out: Reference[] = [];
    for (const [ref, target] of this.refs) if (target === id) out.push(parseReference(ref));
    return out.sort((a, b) => Number(a.digest !== undefined) - Number(b.digest !== undefined) || formatReference(a).localeCompare(formatReference(b)));
  }

  lookup(ref: Reference): Digest | undefined {
    return this.refs.get(formatReference(ref));
  }

  allReferences(): Array<[Reference, Digest]> {
    return [...this.refs].map(([r, id]) => [parseReference(r), id]);
  }

  /** Find an image by full ID or by a unique ID prefix (with or without `sha256:`). */
  searchId(text: string): Digest | undefined {
    const hex = text.startsWith('sha256:') ? text.slice(7) : text;
    if (!/^[0-9a-f]{1,64}$/.test(hex)) return undefined;
    const found = [...this.records.keys()].filter((id) => hexOf(id).startsWith(hex));
    return found.length === 1 ? found[0] : undefined;
  }

  /**
   * Resolve what a user typed (`busybox`, `busybox:1`, `repo@sha256:..`, an ID or ID prefix) as
   * dockerd's GetImage does. Throws Docker's "No such image" not-found error.
   */
  resolve(text: string): ImageRecord {
    if (/^sha256:[0-9a-f]{64}$/.test(text) || /^[0-9a-f]{64}$/.test(text)) {
      const rec = this.records.get((text.startsWith('sha256:') ? text : `sha256:${text}`) as Digest);
      if (rec) return rec;
      throw notFound('ERR_IMAGE_NOT_FOUND', `No such image: ${text}`);
    }
    const ref = parseReference(text);
    if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
    const id = this.lookup(ref) ?? this.searchId(text);
    const rec = id ? this.records.get(id) : undefined;
    if (rec) return rec;
    throw notFound('ERR_IMAGE_NOT_FOUND', `No such image: ${familiarReference(ref)}`);
  }

  async putRecord(rec: ImageRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.recordsDir, `${hexOf(rec.id)}.json`), rec);
    this.records.set(rec.id, rec);
  }

  async deleteRecord(id: Digest): Promise<void> {
    for (const [ref, target] of this.refs) if (target === id) this.refs.delete(ref);
    await this.saveReferences();
    try {
      await fsp.unlink(path.join(this.recordsDir, `${hexOf(id)}.json`));
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    this.records.delete(id);
  }

  /** Point `ref` at `id`; returns the image it pointed at before, if another. */
  async setReference(ref: Reference, id: Digest): Promise<Digest | undefined> {
    const key = formatReference(ref);
    const previous = this.refs.get(key);
    this.refs.set(key, id);
    await this.saveReferences();
    return previous !== id ? previous : undefined;
  }

  async removeReference(ref: Reference): Promise<boolean> {
    const removed = this.refs.delete(formatReference(ref));
    if (removed) await this.saveReferences();
    return removed;
  }

  private async saveReferences(): Promise<void> {
    const references: Record<string, Digest> = {};
    for (const [k, v] of [...this.refs].sort(([a], [b]) => a.localeCompare(b))) references[k] = v;
    await writeJsonAtomic(this.refsFile, { references } satisfies ReferencesFile);
  }
}
