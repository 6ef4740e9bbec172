import * as v from "valibot";
import { parseConnectString } from "../../mod.ts";
import { UsageError } from "./usage_error.ts";

const MS_MAX = 2_147_483_647; // setTimeout's limit

/**
 * A flag holding a whole number of milliseconds, e.g. `--timeout 5000`.
 *
 * @example v.object({ timeout: v.optional(msFlag("--timeout")) })
 */
export function msFlag(flag: string) {
  return v.pipe(
    v.string(),
    v.regex(/^\d+$/, `${flag} must be a whole number of milliseconds`),
    v.transform(Number),
    v.maxValue(MS_MAX, `${flag} must be at most ${MS_MAX} ms`),
  );
}

/**
 * A flag or argument holding an integer within bounds, e.g. `--members 3`.
 *
 * @example v.object({ members: intFlag("--members", { min: 1 }) })
 */
export function intFlag(flag: string, { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {}) {
  return v.pipe(
    v.string(),
    v.regex(/^-?\d+$/, `${flag} must be an integer`),
    v.transform(Number),
    v.safeInteger(`${flag} is out of range`),
    v.minValue(min, `${flag} must be at least ${min}`),
    v.maxValue(max, `${flag} must be at most ${max}`),
  );
}

/**
 * `-server host:port[,host:port...][/chroot]`, checked by the client's own connect-string parser.
 *
 * @example v.object({ server: serverFlag() })
 */
export function serverFlag() {
  return v.pipe(
    v.string(),
    v.check((text) => {
      try {
        parseConnectString(text);
        return true;
      } catch {
        return false;
      }
    }, "-server must be host:port[,host:port...][/chroot]"),
  );
}

/** A znode path as typed on the command line: absolute, no trailing slash. */
export function pathArgument(name = "PATH") {
  return v.pipe(
    v.string(`missing ${name}`),
    v.startsWith("/", `${name} must start with /`),
    v.check((p) => p === "/" || !p.endsWith("/"), `${name} must not end with /`),
  );
}

/**
 * Parses `input` with a valibot schema, turning the first issue into a {@link UsageError}, so
 * every command reports bad options the same way.
 *
 * @example const opts = parseWith(v.object({ timeout: v.optional(msFlag("--timeout")) }), flags);
 */
export function parseWith<const S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  throw new UsageError(result.issues[0].message);
}
