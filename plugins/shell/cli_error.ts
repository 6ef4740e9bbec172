import { ErrorCode, KeeperError } from "../../core/client/mod.ts";

/** zkCli's default exit code for a failed command (CliException). */
export const EXIT_FAILED = 1;
/** zkCli's exit code for an unknown command (CommandNotFoundException). */
export const EXIT_NOT_FOUND = 127;

/**
 * A failed shell command: its message goes to stderr and its exit code becomes the shell's,
 * as zkCli's CliException.
 *
 * @example throw new CliError("Command index out of range");
 */
export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: number;
  constructor(message: string, exitCode = EXIT_FAILED) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** zkCli's wording for the KeeperException types it names (CliWrapperException). */
const WRAPPED: Record<number, string> = {
  [ErrorCode.NONODE]: "Node does not exist: ",
  [ErrorCode.NOCHILDRENFOREPHEMERALS]: "Ephemerals cannot have children: ",
  [ErrorCode.NODEEXISTS]: "Node already exists: ",
  [ErrorCode.NOTEMPTY]: "Node not empty: ",
  [ErrorCode.NOTREADONLY]: "Not a read-only call: ",
  [ErrorCode.INVALIDACL]: "Acl is not valid : ",
  [ErrorCode.NOAUTH]: "Insufficient permission : ",
  [ErrorCode.BADARGUMENTS]: "Arguments are not valid : ",
  [ErrorCode.BADVERSION]: "version No is not valid : ",
  [ErrorCode.QUOTAEXCEEDED]: "Quota has exceeded : ",
};

/** The suffix the client adds to a bad-path message; zkCli prints the bare problem. */
const BAD_PATH_SUFFIX = / \("(?:[^"\\]|\\.)*"\)$/;

/**
 * Turns what a client call threw into the CliError zkCli would raise: a bad path becomes the
 * path problem (MalformedPathException), a KeeperError zkCli's wording, anything else rethrows.
 *
 * @example try { await client.delete(p); } catch (e) { throw wrapError(e); }
 */
export function wrapError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (!(error instanceof KeeperError)) throw error;
  if (error.name === "BadPathError") return new CliError(error.message.replace(BAD_PATH_SUFFIX, ""));
  const prefix = WRAPPED[error.code];
  if (prefix !== undefined) return new CliError(prefix + (error.path ?? "null"));
  if (error.code === ErrorCode.RECONFIGINPROGRESS) {
    return new CliError("Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)");
  }
  return new CliError(error.message);
}

/** Runs a client call, converting its failure as zkCli does. */
export async function wrapped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw wrapError(error);
  }
}

/** What Java prints for Integer.parseInt on a bad number (zkCli crashes there; we report it). */
export function parseJavaInt(text: string): number {
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value > 2147483647 || value < -2147483648) {
    throw new CliError(`java.lang.NumberFormatException: For input string: "${text}"`);
  }
  return value;
}
