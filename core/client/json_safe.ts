/**
 * Gives an object a `toJSON` that writes its bigint fields (zxids, session ids) as exact decimal
 * strings, so JSON.stringify works on it. The method is not enumerable: spreading, comparing and
 * iterating the object see only its data.
 *
 * @example JSON.stringify(jsonSafe({ czxid: 5n, version: 0 })) // '{"czxid":"5","version":0}'
 */
export function jsonSafe<T extends object>(value: T): T {
  Object.defineProperty(value, "toJSON", { value: toJSON, enumerable: false, configurable: true, writable: true });
  return value;
}

function toJSON(this: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(this)) out[key] = typeof field === "bigint" ? field.toString() : field;
  return out;
}
