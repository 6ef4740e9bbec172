/**
 * A mistake in how a command was invoked (unknown flag, missing argument, bad value): the command
 * prints the message and its usage and exits 2, as getopt-style tools do.
 *
 * @example throw new UsageError("queue: missing PATH");
 */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Exit code of a usage error, the shell convention. */
export const EXIT_USAGE = 2;
/** Exit code when the command ran but failed (timeout, lost lock, server error). */
export const EXIT_FAILURE = 1;
