/**
 * Copies of small byte ranges carved out of shared 64 KiB slabs. Decoding a snapshot makes one
 * copy per znode; a fresh ArrayBuffer each is an off-heap allocation plus GC bookkeeping, which
 * dominated decode time (bench/zk_snapshot_bench.ts), as it did for JuteWriter. A slab is freed
 * once no copy in it is referenced; a copy is never handed out twice and never written to.
 */
const SLAB_BYTES = 64 * 1024;
const POOLED_MAX_BYTES = 1024;
let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/** A copy of `source[start, end)`; small ones share a slab. */
export function copyBytes(source: Uint8Array, start: number, end: number): Uint8Array {
  const length = end - start;
  if (length > POOLED_MAX_BYTES) return Uint8Array.prototype.slice.call(source, start, end);
  if (used + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const copy = slab.subarray(used, used + length);
  copy.set(source.subarray(start, end));
  used += length;
  return copy;
}
