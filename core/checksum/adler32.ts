/**
 * Adler-32, what `java.util.zip.Adler32` computes: ZooKeeper seals every txn log record and its
 * snapshot files with it.
 */
const MOD_ADLER = 65521;
/** The most bytes summed before the modulo: 255 * n * (n+1) / 2 + (n+1) * 65520 stays below 2^32. */
const NMAX = 5552;

/**
 * Continues an Adler-32 over `data[start, end)`. Start with `adler = 1`.
 * @example adler32(1, new TextEncoder().encode("Wikipedia")) // 0x11e60398
 */
export function adler32(adler: number, data: Uint8Array, start = 0, end = data.length): number {
  let a = adler & 0xffff;
  let b = adler >>> 16;
  let i = start;
  while (i < end) {
    const stop = Math.min(end, i + NMAX);
    for (; i < stop; i++) {
      a += data[i]!;
      b += a;
    }
    a %= MOD_ADLER;
    b %= MOD_ADLER;
  }
  return ((b << 16) | a) >>> 0;
}
