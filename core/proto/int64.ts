/**
 * 64-bit integers as JavaScript numbers: what the tree keeps zxids and times in (exact below
 * 2^53: an epoch below 2^21, a wall clock in milliseconds until the year 287396). Conversions
 * that could lose a bit throw instead.
 */

const TWO_POW_32 = 0x1_0000_0000;

/** The high 32 bits of an integer-valued number, as a signed int. */
export function high32(value: number): number {
  return Math.floor(value / TWO_POW_32) | 0;
}

/** The low 32 bits of an integer-valued number, as an unsigned int. */
export function low32(value: number): number {
  return value >>> 0;
}

/** The number with these halves; throws when it is not exactly representable. */
export function fromHalves(high: number, low: number): number {
  if (high >= 0x200000 || high < -0x200000) throw new RangeError(`64-bit value 0x${(high >>> 0).toString(16)}${(low >>> 0).toString(16).padStart(8, "0")} is beyond 2^53`);
  return high * TWO_POW_32 + (low >>> 0);
}

/**
 * A bigint zxid or time as a number; throws beyond 2^53.
 * @example toExactNumber(0x100000001n) // 4294967297
 */
export function toExactNumber(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${value} is beyond 2^53`);
  return n;
}
