import { type DataTree, NO_SLOT } from "../tree/data_tree.ts";
import { EphemeralKind, ephemeralKind, ttlOf } from "../tree/ephemeral_type.ts";

/**
 * Containers that had children and are now empty, and TTL nodes without children whose TTL has
 * passed since their last change (ZooKeeper's ContainerManager), at most `limit` per check.
 */
export function containerCandidates(tree: DataTree, nowWallMs: number, limit: number): string[] {
  const candidates: string[] = [];
  for (const path of tree.containers) {
    if (candidates.length >= limit) return candidates;
    const slot = tree.find(path);
    if (slot !== NO_SLOT && tree.store.cversion(slot) > 0 && tree.store.numChildren(slot) === 0) candidates.push(path);
  }
  for (const path of tree.ttls) {
    if (candidates.length >= limit) return candidates;
    const slot = tree.find(path);
    if (slot === NO_SLOT || tree.store.numChildren(slot) > 0) continue;
    const owner = tree.ownerOf(slot);
    if (ephemeralKind(owner, tree.extendedTypesEnabled) !== EphemeralKind.ttl) continue;
    const ttlMs = ttlOf(owner);
    if (ttlMs !== 0n && BigInt(Math.floor(nowWallMs)) - BigInt(tree.store.mtime(slot)) > ttlMs) candidates.push(path);
  }
  return candidates;
}
