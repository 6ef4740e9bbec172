import { UsageError } from "./usage_error.ts";

/** What a flag takes: a value (`--port 2181`) or nothing (`--recursive`). */
export const FlagKind = { value: "value", boolean: "boolean" } as const;
/** One of {@link FlagKind}. */
export type FlagKind = (typeof FlagKind)[keyof typeof FlagKind];

/** The flags a command accepts, by long name (without dashes). */
export type FlagSpec = Readonly<Record<string, FlagKind>>;

/** A command line split into flags, positional arguments and the program after `--`. */
export interface ParsedArgv {
  /** Flag values by long name; boolean flags are `true`. Repeated flags keep the last value. */
  flags: Record<string, string | true>;
  positionals: string[];
  /** Everything after the first `--` (the child command), or `[]`. */
  command: string[];
}

const ARGS_MAX = 10_000;

/**
 * Splits argv at the first `--`: what comes after it belongs to the child program, untouched.
 *
 * @example splitAtDoubleDash(["/l", "--", "sh", "--help"]) // { own: ["/l"], command: ["sh", "--help"] }
 */
export function splitAtDoubleDash(args: readonly string[]): { own: string[]; command: string[] } {
  const at = args.indexOf("--");
  if (at === -1) return { own: [...args], command: [] };
  return { own: args.slice(0, at), command: args.slice(at + 1) };
}

/**
 * Parses `--name value`, `--name=value` and ZooKeeper's single-dash `-server value` against a
 * spec. Unknown flags are usage errors; values are checked later by each command's schema.
 *
 * @example
 * parseArgv(["get", "/c", "-server", "h:2181"], { server: FlagKind.value })
 * // { flags: { server: "h:2181" }, positionals: ["get", "/c"], command: [] }
 */
export function parseArgv(args: readonly string[], spec: FlagSpec): ParsedArgv {
  if (args.length > ARGS_MAX) throw new UsageError(`too many arguments (${args.length})`);
  const { own, command } = splitAtDoubleDash(args);
  const flags: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < own.length; i++) {
    const arg = own[i]!;
    // "-" alone and negative numbers are values, not flags ("counter add /c -5").
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq === -1 ? body : body.slice(0, eq);
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`unknown option ${arg}`);
    if (kind === FlagKind.boolean) {
      if (eq !== -1) throw new UsageError(`${arg}: --${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = eq === -1 ? own[++i] : body.slice(eq + 1);
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags[name] = value;
  }
  return { flags, positionals, command };
}
