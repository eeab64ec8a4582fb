/**
 * ChainIDs (OCI image spec, config.md): the identity of a layer *stack*, so the same layer on
 * different parents gets different snapshots and the same stack is shared.
 */
import { digestOf, type Digest } from '../core/digest.js';

/** chainID(parent, diffId): diffId itself for a base layer. */
export function chainId(parent: Digest | undefined, diffId: Digest): Digest {
  return parent === undefined ? diffId : digestOf(`${parent} ${diffId}`);
}

/** The ChainID of every prefix of `diffIds` (bottom layer first). */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  let parent: Digest | undefined;
  for (const diffId of diffIds) {
    parent = chainId(parent, diffId);
    out.push(parent);
  }
  return out;
}
