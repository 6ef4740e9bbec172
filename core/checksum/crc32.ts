import { crcTables, slicedCrc32, type Crc32Function } from "./sliced_crc32.ts";

/**
 * CRC-32 (IEEE 802.3), what `java.util.zip.CRC32` computes: ZooKeeper's DigestCalculator hashes
 * every znode with it.
 */
const TABLES = crcTables(0xedb88320);

/**
 * Continues a CRC-32 over `data[start, end)`. Start with `crc = 0`.
 * @example crc32(0, new TextEncoder().encode("123456789")) // 0xcbf43926
 */
export const crc32: Crc32Function = slicedCrc32(TABLES);

/**
 * Continues a CRC-32 over the UTF-8 bytes of `text` without encoding it into a buffer first
 * (paths are hashed on every write; most are ASCII). Lone surrogates count as U+FFFD, as
 * Java's and TextEncoder's UTF-8 encoders write them.
 *
 * @example crc32Utf8(0, "123456789") // 0xcbf43926
 */
export function crc32Utf8(crc: number, text: string): number {
  const t = TABLES;
  let c = ~crc;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      c = t[(c ^ code) & 0xff]! ^ (c >>> 8);
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const low = text.charCodeAt(i + 1);
      if (code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else {
        code = 0xfffd;
      }
    }
    const bytes = code < 0x800
      ? [0xc0 | (code >> 6), 0x80 | (code & 0x3f)]
      : code < 0x10000
      ? [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
      : [0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
    for (const b of bytes) c = t[(c ^ b) & 0xff]! ^ (c >>> 8);
  }
  return ~c >>> 0;
}
