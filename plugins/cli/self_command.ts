import process from "node:process";

/**
 * How to start this same program again with other arguments, on whatever runs it: a compiled
 * executable (bun --compile) runs itself; Deno needs `run -A` and the entry script; Node and Bun
 * rerun the entry script with the same runtime flags (tsx's loader included).
 *
 * @example const [program, ...args] = selfCommand(["server", "zoo.cfg"]);
 */
export function selfCommand(args: readonly string[]): string[] {
  const script = process.argv[1];
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  if (deno !== undefined) return [deno.execPath(), "run", "-A", "--no-check", script ?? "", ...args];
  // A bun --compile executable carries its sources inside (its script path is in /$bunfs/).
  if (script === undefined || script.startsWith("/$bunfs/") || script.startsWith("B:/~BUN/")) return [process.execPath, ...args];
  return [process.execPath, ...process.execArgv, script, ...args];
}
