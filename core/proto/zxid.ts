/**
 * Zxids as ZooKeeper builds them: the epoch of the leader that proposed the txn in the high 32
 * bits, a counter within that epoch in the low 32 (ZxidUtils).
 */

const COUNTER_MASK = 0xffffffffn;

/** The epoch part of a zxid. */
export function epochOf(zxid: bigint): bigint {
  return zxid >> 32n;
}

/** The counter part of a zxid. */
export function counterOf(zxid: bigint): bigint {
  return zxid & COUNTER_MASK;
}

/**
 * The zxid of the `counter`th txn of `epoch`.
 * @example makeZxid(2n, 0n) // 0x200000000n: the zxid a new leader of epoch 2 starts from
 */
export function makeZxid(epoch: bigint, counter: bigint): bigint {
  return (epoch << 32n) | (counter & COUNTER_MASK);
}

/** `0x` + lowercase hex, as ZooKeeper logs zxids. */
export function hexZxid(zxid: bigint): string {
  return `0x${zxid.toString(16)}`;
}
