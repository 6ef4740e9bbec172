import process from "node:process";
import { startChild } from "./child_command.ts";

/** Exit code when the lock, the leadership or the session was lost while CMD ran. */
export const EXIT_OWNERSHIP_LOST = 3;

/** Default time between SIGTERM and SIGKILL when CMD must stop. */
export const KILL_GRACE_DEFAULT_MS = 5_000;

/** What to run while something (a lock, a leadership, a registration) is held. */
export interface HeldCommandOptions {
  /** `paddock lock`, `paddock elect`, ...: prefixes messages. */
  label: string;
  argv: readonly string[];
  env?: Record<string, string>;
  /** Aborts when ownership is lost; CMD is then stopped. */
  ownership: AbortSignal;
  /** What was lost, for the message, e.g. "lock /jobs/nightly". */
  what: string;
  graceMs: number;
}

/**
 * Runs CMD for as long as ownership lasts. CMD ending by itself yields its exit code; ownership
 * ending first stops CMD (SIGTERM, then SIGKILL after the grace period), says why on stderr and
 * yields {@link EXIT_OWNERSHIP_LOST}. The caller releases what it held afterwards.
 *
 * @example
 * const code = await runWhileHeld({ label: "paddock lock", argv, ownership: lease.signal, what: "lock /x", graceMs });
 */
export async function runWhileHeld(opts: HeldCommandOptions): Promise<number> {
  if (opts.ownership.aborted) return lost(opts);
  const child = startChild({ argv: opts.argv, env: opts.env, graceMs: opts.graceMs });
  let ownershipLost = false;
  const onLost = () => {
    ownershipLost = true;
    process.stderr.write(`${opts.label}: ${opts.what} lost (${reasonOf(opts.ownership)}); stopping ${opts.argv[0]} (pid ${child.pid})\n`);
    void child.terminate();
  };
  opts.ownership.addEventListener("abort", onLost, { once: true });
  const exit = await child.exited;
  opts.ownership.removeEventListener("abort", onLost);
  if (ownershipLost) return EXIT_OWNERSHIP_LOST;
  return exit.code;
}

function lost(opts: HeldCommandOptions): number {
  process.stderr.write(`${opts.label}: ${opts.what} lost (${reasonOf(opts.ownership)}) before ${opts.argv[0]} started\n`);
  return EXIT_OWNERSHIP_LOST;
}

function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason);
}
