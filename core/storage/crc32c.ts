/**
 * CRC-32C (Castagnoli), the checksum of every log record and snapshot. Chosen over CRC-32 for
 * its better error detection on storage-sized blocks (it is what ext4, iSCSI and RocksDB use).
 * Slicing-by-8: eight table lookups per 8 bytes, no allocation; 400-600 MB/s in V8 and JSC
 * (bench/storage_bench.ts), a second or so for a 500 MB snapshot, spread over 4 MiB slices.
 */

const POLYNOMIAL_REFLECTED = 0x82f63b78;

/** 8 tables of 256 entries, table k at offset k*256. */
const TABLES = buildTables();

function buildTables(): Uint32Array {
  const tables = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let bit = 0; bit < 8; bit += 1) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL_REFLECTED : c >>> 1;
    tables[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n += 1) {
    for (let k = 1; k < 8; k += 1) {
      const previous = tables[(k - 1) * 256 + n]!;
      tables[k * 256 + n] = (tables[previous & 0xff]! ^ (previous >>> 8)) >>> 0;
    }
  }
  return tables;
}

/**
 * Continues a CRC-32C over `data[start, end)`. Start with `crc = 0`.
 * @example crc32c(0, new TextEncoder().encode("123456789")) // 0xe3069283
 */
export function crc32c(crc: number, data: Uint8Array, start = 0, end = data.length): number {
  const t = TABLES;
  let c = ~crc;
  let i = start;
  const end8 = end - 7;
  for (; i < end8; i += 8) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c = t[1792 + (a & 0xff)]! ^ t[1536 + ((a >>> 8) & 0xff)]! ^ t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^ t[768 + data[i + 4]!]! ^ t[512 + data[i + 5]!]! ^ t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < end; i += 1) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
