/**
 * What a znode's `ephemeralOwner` field encodes (ZooKeeper's EphemeralType): 0 for a persistent
 * node, a session id for an ephemeral, a reserved value for containers, and high-byte-0xff values
 * for TTL nodes carrying the TTL in milliseconds.
 */
export const CONTAINER_OWNER = -0x8000000000000000n;

const EXTENDED_MASK = -0x100000000000000n; // 0xff00000000000000 as a signed long
const TTL_VALUE_MASK = 0x000000ffffffffffn;

/** The largest TTL ZooKeeper accepts, in milliseconds. */
export const TTL_MAX_MS = TTL_VALUE_MASK;

export const EphemeralKind = {
  persistent: "persistent",
  session: "session",
  container: "container",
  ttl: "ttl",
} as const;

export type EphemeralKind = (typeof EphemeralKind)[keyof typeof EphemeralKind];

/** Encodes a TTL node's owner field; the caller has checked 0 < ttlMs <= TTL_MAX_MS. */
export function ttlOwner(ttlMs: bigint): bigint {
  return EXTENDED_MASK | ttlMs;
}

/** The TTL in ms of a TTL node's owner field. */
export function ttlOf(owner: bigint): bigint {
  return owner & TTL_VALUE_MASK;
}

/**
 * Classifies an owner field. With extended types off (ZooKeeper's default) a high-byte-0xff
 * value is just a session id, as in ZooKeeper.
 */
export function ephemeralKind(owner: bigint, extendedTypesEnabled: boolean): EphemeralKind {
  if (owner === 0n) return EphemeralKind.persistent;
  if (owner === CONTAINER_OWNER) return EphemeralKind.container;
  if (extendedTypesEnabled && (owner & EXTENDED_MASK) === EXTENDED_MASK) return EphemeralKind.ttl;
  return EphemeralKind.session;
}
