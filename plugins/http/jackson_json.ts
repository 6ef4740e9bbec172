/**
 * JSON as ZooKeeper's AdminServer writes it (Jackson's default pretty printer): two-space
 * indented objects with `"key" : value`, arrays inline as `[ a, b ]`, `{ }` and `[ ]` when empty,
 * longs exact (bigint, never rounded to a double) and doubles always with a fraction ("0.0").
 */

/** A Java double: printed with at least one decimal, as Double.toString does. */
export class JavaDouble {
  constructor(readonly value: number) {}
}

/** A value the writer takes: JSON values plus bigint longs and {@link JavaDouble}. */
export type JavaValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | JavaDouble
  | readonly JavaValue[]
  | { readonly [key: string]: JavaValue | undefined };

const DEPTH_MAX = 64;

/**
 * Serializes like Jackson's INDENT_OUTPUT.
 *
 * @example jacksonJson({ command: "ruok", error: null }) // '{\n  "command" : "ruok",\n  "error" : null\n}'
 */
export function jacksonJson(value: JavaValue): string {
  return write(value, 0);
}

function write(value: JavaValue, depth: number): string {
  if (depth > DEPTH_MAX) throw new Error("jacksonJson: nested too deeply");
  if (value === null) return "null";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (value instanceof JavaDouble) return javaDouble(value.value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[ ]";
    return `[ ${value.map((item) => write(item, depth)).join(", ")} ]`;
  }
  const entries = Object.entries(value as Record<string, JavaValue | undefined>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{ }";
  const pad = "  ".repeat(depth + 1);
  const body = entries.map(([k, v]) => `${pad}${JSON.stringify(k)} : ${write(v as JavaValue, depth + 1)}`).join(",\n");
  return `{\n${body}\n${"  ".repeat(depth)}}`;
}

/** Double.toString for the plain-notation range: 7 -> "7.0", 9.5294 -> "9.5294". */
function javaDouble(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? '"NaN"' : value > 0 ? '"Infinity"' : '"-Infinity"';
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}
