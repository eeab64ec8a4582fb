/**
 * Container records on disk and in memory: `<data-root>/containers/<id>/config.json`, written
 * atomically on every state change, plus the name index. Lookup follows dockerd: full ID, then
 * name, then unique ID prefix.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { errnoCode, invalid, notFound } from '../core/errors.js';
import { ensureDir, removeTempLeftovers, writeJsonAtomic } from '../core/fsutil.js';
import { logger } from '../core/log.js';
import type { ContainerRecord } from './contract.js';

const log = logger('container');

export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly byName = new Map<string, string>();

  private constructor(readonly root: string) {}

  static async open(root: string): Promise<ContainerStore> {
    const store = new ContainerStore(root);
    await ensureDir(root, 0o710);
    for (const id of await fsp.readdir(root)) {
      const dir = path.join(root, id);
      if (!/^[0-9a-f]{64}$/.test(id)) continue;
      await removeTempLeftovers(dir);
      try {
        const rec = JSON.parse(await fsp.readFile(path.join(dir, 'config.json'), 'utf8')) as ContainerRecord;
        if (rec.id !== id) throw new Error('record id does not match its directory');
        store.byId.set(id, rec);
        store.byName.set(rec.name, id);
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') {
          // Created directory without a record: a create that was killed half-way.
          log.warn('removing an incomplete container directory', { id });
          await fsp.rm(dir, { recursive: true, force: true });
          continue;
        }
        log.error('unreadable container record left in place', { id, error: (e as Error).message });
      }
    }
    return store;
  }

  dir(id: string): string {
    return path.join(this.root, id);
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): ContainerRecord | undefined {
    return this.byId.get(id);
  }

  nameTaken(name: string): string | undefined {
    return this.byName.get(name);
  }

  /** Resolve a full ID, a name (with or without `/`), or a unique ID prefix. */
  find(ref: string): ContainerRecord | undefined {
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const byName = this.byName.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return this.byId.get(byName);
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const matches = [...this.byId.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw invalid('ERR_AMBIGUOUS_ID', `Multiple IDs found with provided prefix: ${ref}`);
    return matches.length ? this.byId.get(matches[0]) : undefined;
  }

  /** Like find, but a 404 "No such container" when nothing matches. */
  resolve(ref: string): ContainerRecord {
    const rec = this.find(ref);
    if (!rec) throw notFound('ERR_CONTAINER_NOT_FOUND', `No such container: ${ref}`);
    return rec;
  }

  /** Reserve a name before the record exists (so two creates cannot take the same name). */
  reserveName(name: string, id: string): void {
    this.byName.set(name, id);
  }

  releaseName(name: string, id: string): void {
    if (this.byName.get(name) === id) this.byName.delete(name);
  }

  /**
   * Write the record atomically. `durable: false`: the content is synced but not the directory,
   * so after a power cut the record is the previous or the new one, complete either way.
   */
  async save(rec: ContainerRecord, opts: { durable?: boolean } = {}): Promise<void> {
    await ensureDir(this.dir(rec.id), 0o710);
    await writeJsonAtomic(path.join(this.dir(rec.id), 'config.json'), rec, { noDirSync: opts.durable === false });
    this.byId.set(rec.id, rec);
    this.byName.set(rec.name, rec.id);
  }

  async remove(id: string): Promise<void> {
    const rec = this.byId.get(id);
    // The record goes first: a crash after it leaves a directory that open() cleans up.
    await fsp.rm(path.join(this.dir(id), 'config.json'), { force: true });
    await fsp.rm(this.dir(id), { recursive: true, force: true });
    this.byId.delete(id);
    if (rec) this.releaseName(rec.name, id);
  }

  async rename(id: string, newName: string): Promise<void> {
    const rec = this.byId.get(id);
    if (!rec) throw notFound('ERR_CONTAINER_NOT_FOUND', `No such container: ${id}`);
    const old = rec.name;
    rec.name = newName;
    this.byName.set(newName, id);
    try {
      await this.save(rec);
    } catch (e) {
      rec.name = old;
      this.byName.delete(newName);
      throw e;
    }
    this.byName.delete(old);
  }
}
