/**
 * `docker rmi` semantics, as dockerd implements them: removing a name only untags while other
 * names remain; removing the last name (or an ID) deletes the image unless a container uses it
 * or child images depend on it; `force` overrides soft conflicts (stopped containers, several
 * repositories) but never hard ones (running containers, child images).
 */
import { shortId, type Digest } from '../core/digest.js';
import { conflict } from '../core/errors.js';
import type { DeleteRecord, ImageUsage } from './contract.js';
import { familiarReference, formatReference, parseReference, repositoryName, DEFAULT_TAG, type Reference } from './reference.js';
import type { ImageIndex } from './store.js';

export interface DeleteHooks {
  usage: ImageUsage;
  /** Remove the image's record and every layer no other image needs; returns removed ChainIDs. */
  dropImage(id: Digest): Promise<Digest[]>;
  /** Event sink ("untag", "delete"). */
  event(action: 'untag' | 'delete', id: Digest, name: string): void;
}

type ConflictMask = { hard: boolean; soft: boolean; activeReference: boolean };

function deleteConflict(id: Digest, hard: boolean, message: string): Error {
  return conflict('ERR_IMAGE_IN_USE', `conflict: unable to delete ${shortId(id)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${message}`);
}

function checkConflict(index: ImageIndex, hooks: DeleteHooks, id: Digest, mask: ConflictMask): Error | undefined {
  if (mask.hard) {
    if (index.children(id).length > 0) return deleteConflict(id, true, 'image has dependent child images');
    const running = hooks.usage.containersUsing(id).find((c) => c.running);
    if (running) return deleteConflict(id, true, `image is being used by running container ${shortId(running.id)}`);
  }
  if (mask.activeReference && index.references(id).length > 0) {
    return deleteConflict(id, false, 'image is referenced in multiple repositories');
  }
  if (mask.soft) {
    const stopped = hooks.usage.containersUsing(id).find((c) => !c.running);
    if (stopped) return deleteConflict(id, false, `image is being used by stopped container ${shortId(stopped.id)}`);
  }
  return undefined;
}

/** At most one tag, and every reference in the same repository. */
function isSingleReference(refs: Reference[]): boolean {
  const tags = refs.filter((r) => r.digest === undefined);
  if (tags.length > 1) return false;
  const names = new Set(refs.map(repositoryName));
  return names.size <= 1;
}

function isIdPrefix(id: Digest, text: string): boolean {
  const hex = text.startsWith('sha256:') ? text.slice(7) : text;
  return /^[0-9a-f]+$/.test(hex) && id.slice(7).startsWith(hex);
}

export async function deleteImage(
  index: ImageIndex,
  hooks: DeleteHooks,
  text: string,
  opts: { force: boolean; prune: boolean },
): Promise<DeleteRecord[]> {
  const rec = index.resolve(text);
  const id = rec.id;
  const records: DeleteRecord[] = [];
  let refs = index.references(id);
  let removedRepositoryRef = false;

  if (!isIdPrefix(id, text)) {
    const using = hooks.usage.containersUsing(id);
    if (using.length > 0 && refs.length === 1 && !opts.force) {
      throw conflict(
        'ERR_IMAGE_IN_USE',
        `conflict: unable to remove repository reference "${text}" (must force) - container ${shortId(using[0].id)} is using its referenced image ${shortId(id)}`,
      );
    }
    const ref = parseReference(text);
    if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
    await index.removeReference(ref);
    hooks.event('untag', id, formatReference(ref));
    records.push({ Untagged: familiarReference(ref) });
    refs = index.references(id);
    // Removing the last tag of a repository also removes that repository's digest references.
    if (ref.digest === undefined && !refs.some((r) => r.digest === undefined && repositoryName(r) === repositoryName(ref))) {
      const remaining: Reference[] = [];
      for (const r of refs) {
        if (r.digest !== undefined && repositoryName(r) === repositoryName(ref)) {
          await index.removeReference(r);
          records.push({ Untagged: familiarReference(r) });
        } else remaining.push(r);
      }
      refs = remaining;
    }
    if (refs.length > 0) return records;
    removedRepositoryRef = true;
  } else if (isSingleReference(refs)) {
    const err = checkConflict(index, hooks, id, { hard: true, soft: !opts.force, activeReference: false });
    if (err) throw err;
    for (const r of refs) {
      await index.removeReference(r);
      hooks.event('untag', id, formatReference(r));
      records.push({ Untagged: familiarReference(r) });
    }
  }

  await deleteHelper(index, hooks, id, records, opts.force, opts.prune, removedRepositoryRef);
  return records;
}

async function deleteHelper(
  index: ImageIndex,
  hooks: DeleteHooks,
  id: Digest,
  records: DeleteRecord[],
  force: boolean,
  prune: boolean,
  quiet: boolean,
): Promise<void> {
  const rec = index.get(id);
  if (!rec) return;
  const err = checkConflict(index, hooks, id, { hard: true, soft: !force, activeReference: !force });
  if (err) {
    // Dangling as Docker means it: no names and no child images.
    const dangling = index.references(id).length === 0 && index.children(id).length === 0;
    const used = hooks.usage.containersUsing(id).length > 0;
    // When a name was removed, a remaining conflict just means the image stays.
    if (quiet && (!dangling || used)) return;
    throw err;
  }
  for (const r of index.references(id)) {
    await index.removeReference(r);
    records.push({ Untagged: familiarReference(r) });
  }
  const parent = rec.parent;
  const removedLayers = await hooks.dropImage(id);
  hooks.event('delete', id, id);
  records.push({ Deleted: id });
  for (const chainId of removedLayers) records.push({ Deleted: chainId });
  if (!prune || !parent) return;
  await deleteHelper(index, hooks, parent, records, false, true, true);
}
