/**
 * java.util.Random's 48-bit LCG. ZooKeeper derives a session's password from the session id with
 * it (seed = sessionId ^ a fixed secret), so Paddock's passwords are the ones ZooKeeper would
 * hand out and need no storage: a restarted server re-derives them.
 */
const MULTIPLIER = 0x5deece66dn;
const MASK = (1n << 48n) - 1n;

export class JavaRandom {
  #seed: bigint;

  constructor(seed: bigint) {
    this.#seed = (BigInt.asUintN(64, seed) ^ MULTIPLIER) & MASK;
  }

  #next(bits: number): number {
    this.#seed = (this.#seed * MULTIPLIER + 0xbn) & MASK;
    return Number(BigInt.asIntN(32, this.#seed >> BigInt(48 - bits)));
  }

  nextInt(): number {
    return this.#next(32);
  }

  nextBytes(length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; ) {
      let random = this.nextInt();
      for (let n = Math.min(length - i, 4); n-- > 0; random >>= 8) bytes[i++] = random & 0xff;
    }
    return bytes;
  }
}

/** ZooKeeper's superSecret: the constant every server mixes into session passwords. */
const SUPER_SECRET = 0xb3415c00n;

/** The 16-byte password of a session. */
export function sessionPassword(sessionId: bigint): Uint8Array {
  return new JavaRandom(sessionId ^ SUPER_SECRET).nextBytes(16);
}
