import * as v from "valibot";
import { FlagKind, type FlagSpec } from "./argv.ts";
import { KILL_GRACE_DEFAULT_MS } from "./held_command.ts";
import { msFlag, parseWith } from "./schemas.ts";

/** Flags of the commands that run CMD while holding something (lock, elect). */
export const holderFlags: FlagSpec = {
  timeout: FlagKind.value,
  grace: FlagKind.value,
  "suspended-grace": FlagKind.value,
};

/** Help lines for {@link holderFlags}. */
export const holderHelp = `  --grace MS               time between SIGTERM and SIGKILL when CMD must stop (default ${KILL_GRACE_DEFAULT_MS})
  --suspended-grace MS     how long a disconnected session is still trusted before CMD is
                           stopped (default: a sixth of the session timeout, the safety margin
                           before the server can expire the session)`;

/** The parsed holder flags. */
export interface HolderOptions {
  timeoutMs: number | undefined;
  graceMs: number;
  suspendedGraceMs: number | undefined;
}

const schema = v.object({
  timeout: v.optional(msFlag("--timeout")),
  grace: v.optional(msFlag("--grace"), String(KILL_GRACE_DEFAULT_MS)),
  "suspended-grace": v.optional(msFlag("--suspended-grace")),
});

/**
 * Reads `--timeout`, `--grace` and `--suspended-grace` out of parsed flags.
 *
 * @example const { timeoutMs, graceMs } = holderOptions(parsed.flags);
 */
export function holderOptions(flags: Record<string, string | true>): HolderOptions {
  const o = parseWith(schema, { timeout: flags.timeout, grace: flags.grace, "suspended-grace": flags["suspended-grace"] });
  return { timeoutMs: o.timeout, graceMs: o.grace, suspendedGraceMs: o["suspended-grace"] };
}
