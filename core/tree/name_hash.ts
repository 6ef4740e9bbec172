/**
 * The hash a znode is filed under in the path index: FNV-1a over the UTF-8 bytes of its name,
 * mixed with its parent's slot. Computed from a JavaScript string (a lookup) or from bytes (a
 * snapshot being loaded) with the same result.
 */

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const GOLDEN = 0x9e3779b1 | 0;

/** Continues FNV-1a over one byte. */
export function fnvByte(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, FNV_PRIME);
}

/** The start of an FNV-1a hash. */
export const FNV_START = FNV_OFFSET;

/** Mixes a name's FNV-1a hash with its parent's slot. */
export function childHash(parent: number, nameHash: number): number {
  const h = Math.imul(nameHash ^ parent, GOLDEN);
  return h ^ (h >>> 15);
}

/** The hash of `length` name bytes of `bytes` at `offset` under `parent`. */
export function childHashOfBytes(parent: number, bytes: Uint8Array, offset: number, length: number): number {
  let h = FNV_START;
  for (let i = 0; i < length; i++) h = fnvByte(h, bytes[offset + i]!);
  return childHash(parent, h);
}
