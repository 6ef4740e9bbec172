/**
 * Joins byte chunks (a chunked encoder's output) into one array.
 *
 * @example concatBytes(encodeZkSnapshot(tree, sessions))
 */
export function concatBytes(chunks: Iterable<Uint8Array>): Uint8Array {
  const list = [...chunks];
  const out = new Uint8Array(list.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of list) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The index of the first byte where `a` and `b` differ (the shorter length if one is a prefix). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return length;
}
