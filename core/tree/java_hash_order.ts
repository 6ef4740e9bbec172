/**
 * ZooKeeper keeps a znode's children in a Java `HashSet` and returns them in that set's iteration
 * order. Clients should not depend on it, but some tools print it as it comes, so Paddock returns
 * children in the same order: bucket index of the (spread) Java String hash at the set's current
 * capacity, then insertion order within a bucket (Java keeps it across resizes).
 */

/** Java's `String.hashCode()` over UTF-16 code units, as a signed 32-bit int. */
export function javaStringHash(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(hash, 31) + value.charCodeAt(i)) | 0;
  return hash;
}

/** HashMap.hash(): the high half folded into the low half. */
export function javaSpreadHash(value: string): number {
  return spread(javaStringHash(value));
}

function spread(hash: number): number {
  return hash ^ (hash >>> 16);
}

/** The table capacity a HashSet created with `initialCapacity` has after holding `peakSize` keys. */
export function javaHashCapacity(initialCapacity: number, peakSize: number): number {
  let capacity = 1;
  while (capacity < initialCapacity) capacity *= 2;
  // HashMap resizes when size exceeds capacity * 0.75; it never shrinks.
  while (peakSize > capacity * 0.75) capacity *= 2;
  return capacity;
}

/**
 * Orders `names` (given in insertion order) as a Java HashSet of `capacity` iterates them.
 * Bins Java turns into trees (more than 8 keys in one bucket) are not modelled.
 */
export function javaHashOrder(names: readonly string[], capacity: number): string[] {
  return javaHashOrderBy(names, javaStringHash, capacity);
}

/** The same for any element, given its Java `hashCode()`. */
export function javaHashOrderBy<T>(items: readonly T[], hashCode: (item: T) => number, capacity: number): T[] {
  const mask = capacity - 1;
  // A stable counting sort by bucket: linear, where a comparison sort of a million children
  // took a second.
  const buckets = new Int32Array(items.length);
  const starts = new Int32Array(capacity + 1);
  for (let i = 0; i < items.length; i++) {
    const bucket = spread(hashCode(items[i]!)) & mask;
    buckets[i] = bucket;
    starts[bucket + 1]!++;
  }
  for (let b = 0; b < capacity; b++) starts[b + 1]! += starts[b]!;
  const out = new Array<T>(items.length);
  for (let i = 0; i < items.length; i++) out[starts[buckets[i]!]!++] = items[i]!;
  return out;
}

/** Java's `Long.hashCode()`: the two halves XORed, as a signed 32-bit int. */
export function javaLongHash(value: bigint): number {
  return Number(BigInt.asIntN(32, value ^ (value >> 32n)));
}

/**
 * The capacity of `new HashMap<>(m)` for a map of `size` entries, as Java 17 sizes it
 * (`tableSizeFor((int) (size / 0.75f + 1))`; Java 19+ rounds up instead of adding one, which
 * changes the capacity, and so the order, at some sizes).
 */
export function javaHashMapCopyCapacity(size: number): number {
  if (size === 0) return 1;
  const target = Math.floor(Math.fround(Math.fround(size / 0.75) + 1));
  let capacity = 1;
  while (capacity < target) capacity *= 2;
  return capacity;
}

/**
 * The order of `new ArrayList<>(set.clone())` for a default `HashSet<String>` holding `names`
 * (given in insertion order) that once held `peakSize` keys: the clone is a fresh table sized for
 * the current size, filled in the original's iteration order. ZooKeeper answers getEphemerals and
 * deletes a closed session's ephemerals in this order.
 */
export function javaHashSetCloneOrder(names: readonly string[], peakSize: number): string[] {
  const live = javaHashOrder(names, javaHashCapacity(16, Math.max(peakSize, names.length)));
  // putMapEntries sizes the clone as a HashMap copy of the current size.
  return javaHashOrder(live, javaHashMapCopyCapacity(names.length));
}
