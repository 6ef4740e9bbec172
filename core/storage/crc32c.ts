/**
 * CRC-32C (Castagnoli), the checksum of every log record and snapshot. Chosen over CRC-32 for
 * its better error detection on storage-sized blocks (it is what ext4, iSCSI and RocksDB use).
 * Slicing-by-8 (core/checksum/sliced_crc32.ts): a second or so for a 500 MB snapshot, spread over
 * 4 MiB slices.
 */
import { crcTables, slicedCrc32, type Crc32Function } from "../checksum/sliced_crc32.ts";

/** The Castagnoli polynomial, reflected. */
export const CRC32C_POLYNOMIAL = 0x82f63b78;

/**
 * Continues a CRC-32C over `data[start, end)`. Start with `crc = 0`.
 * @example crc32c(0, new TextEncoder().encode("123456789")) // 0xe3069283
 */
export const crc32c: Crc32Function = slicedCrc32(crcTables(CRC32C_POLYNOMIAL));
