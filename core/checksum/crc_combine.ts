/**
 * The CRC of two byte strings one after the other, from their CRCs and the second's length
 * (zlib's crc32_combine, for any reflected CRC-32 with init and final XOR 0xffffffff): a snapshot
 * worker checksums the bytes it encodes, the store the file header it puts in front.
 */

function timesMatrix(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  // Bounded: 32 bits at most.
  for (let i = 0; vector !== 0; i++, vector >>>= 1) if (vector & 1) sum ^= matrix[i]!;
  return sum >>> 0;
}

function square(target: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) target[n] = timesMatrix(matrix, matrix[n]!);
}

/**
 * crc(A ++ B) given crc(A), crc(B) and B's length, for the reflected polynomial `polynomial`.
 * @example crcCombine(0x82f63b78, crc32c(0, a), crc32c(0, b), b.length) === crc32c(crc32c(0, a), b)
 */
export function crcCombine(polynomial: number, crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  // The operator for one zero bit, then two, then four.
  odd[0] = polynomial;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row;
  square(even, odd);
  square(odd, even);
  let crc = crcA >>> 0;
  let remaining = lengthB;
  // Bounded: one round per bit of the length.
  while (remaining > 0) {
    square(even, odd);
    if (remaining % 2 === 1) crc = timesMatrix(even, crc);
    remaining = Math.floor(remaining / 2);
    if (remaining === 0) break;
    square(odd, even);
    if (remaining % 2 === 1) crc = timesMatrix(odd, crc);
    remaining = Math.floor(remaining / 2);
  }
  return (crc ^ crcB) >>> 0;
}
