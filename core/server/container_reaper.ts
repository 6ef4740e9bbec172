import type { DataTree } from "../tree/data_tree.ts";
import { EphemeralKind, ephemeralKind, ttlOf } from "../tree/ephemeral_type.ts";

/**
 * Containers that had children and are now empty, and TTL nodes without children whose TTL has
 * passed since their last change (ZooKeeper's ContainerManager), at most `limit` per check.
 */
export function containerCandidates(tree: DataTree, nowWallMs: number, limit: number): string[] {
  const candidates: string[] = [];
  for (const path of tree.containers) {
    if (candidates.length >= limit) return candidates;
    const node = tree.getNode(path);
    if (node !== undefined && node.cversion > 0 && node.children.size === 0) candidates.push(path);
  }
  for (const path of tree.ttls) {
    if (candidates.length >= limit) return candidates;
    const node = tree.getNode(path);
    if (node === undefined || node.children.size > 0) continue;
    if (ephemeralKind(node.ephemeralOwner, tree.extendedTypesEnabled) !== EphemeralKind.ttl) continue;
    const ttlMs = ttlOf(node.ephemeralOwner);
    if (ttlMs !== 0n && BigInt(Math.floor(nowWallMs)) - node.mtime > ttlMs) candidates.push(path);
  }
  return candidates;
}
