/**
 * The shape of AdminServer JSON: keys and value types, with Java's long/double told apart by the
 * number's spelling ("0" vs "0.0") since JSON.parse would lose it. Objects whose keys are data
 * (session ids, paths, times) are compared by their values' shape only.
 */

/** A type: "string", "long", "double", "boolean", "null", or an object/array of shapes. */
export type Shape = string | { [key: string]: Shape } | Shape[];

const DEPTH_MAX = 32;

/**
 * Parses JSON text into its shape. `dataKeyed` names the object fields (by key) whose own keys
 * are data: their keys become "*".
 *
 * @example jsonShape('{"a" : 1, "b" : 1.5}') // { a: "long", b: "double" }
 */
export function jsonShape(text: string, dataKeyed: ReadonlySet<string> = new Set()): Shape {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (depth: number, dataKeys: boolean): Shape => {
    if (depth > DEPTH_MAX) throw new Error("json too deep");
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const out: { [key: string]: Shape } = {};
      ws();
      if (text[i] === "}") {
        i++;
        return out;
      }
      for (let guard = 0; guard < 100_000; guard++) {
        ws();
        const key = JSON.parse(stringToken()) as string;
        ws();
        if (text[i++] !== ":") throw new Error(`expected : at ${i}`);
        const shape = value(depth + 1, dataKeyed.has(key));
        out[dataKeys ? "*" : key] = shape;
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i++] !== "}") throw new Error(`expected } at ${i}`);
        return out;
      }
      throw new Error("object too long");
    }
    if (c === "[") {
      i++;
      ws();
      const items: Shape[] = [];
      if (text[i] === "]") {
        i++;
        return items;
      }
      for (let guard = 0; guard < 1_000_000; guard++) {
        items.push(value(depth + 1, false));
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i++] !== "]") throw new Error(`expected ] at ${i}`);
        // Arrays are compared by their first element's shape.
        return items.slice(0, 1);
      }
      throw new Error("array too long");
    }
    if (c === '"') {
      stringToken();
      return "string";
    }
    const literal = /^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 40));
    if (literal === null) throw new Error(`unexpected ${JSON.stringify(text.slice(i, i + 20))} at ${i}`);
    i += literal[0].length;
    if (literal[1] === "true" || literal[1] === "false") return "boolean";
    if (literal[1] === "null") return "null";
    return literal[2] !== undefined || literal[3] !== undefined ? "double" : "long";
  };
  const stringToken = (): string => {
    const start = i;
    if (text[i] !== '"') throw new Error(`expected a string at ${i}`);
    for (i++; i < text.length; i++) {
      if (text[i] === "\\") i++;
      else if (text[i] === '"') {
        i++;
        return text.slice(start, i);
      }
    }
    throw new Error("unterminated string");
  };
  const shape = value(0, false);
  ws();
  if (i !== text.length) throw new Error(`trailing text at ${i}`);
  return shape;
}
