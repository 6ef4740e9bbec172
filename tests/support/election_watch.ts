import type { Participant } from "./recipe_processes.ts";

/**
 * Who currently leads, from the participants' "leader <id>" / "notLeader <id>" lines (the last
 * such line of each participant wins; a dead participant leads no more).
 *
 * @example const ids = currentLeaders(new Map([["a", pa], ["b", pb]]), new Set(["a"]));
 */
export function currentLeaders(participants: ReadonlyMap<string, Participant>, dead: ReadonlySet<string> = new Set()): string[] {
  const leaders: string[] = [];
  for (const [id, p] of participants) {
    if (dead.has(id)) continue;
    const last = [...p.lines].reverse().find((l) => l.startsWith("leader ") || l.startsWith("notLeader "));
    if (last?.startsWith("leader ")) leaders.push(id);
  }
  return leaders;
}

/**
 * Polls until exactly one participant leads and it stays so for `stableMs`; returns its id.
 *
 * @example const leader = await oneLeader(participants, dead, 10_000);
 */
export async function oneLeader(
  participants: ReadonlyMap<string, Participant>,
  dead: ReadonlySet<string>,
  timeoutMs: number,
  stableMs = 300,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let candidate: string | undefined;
  let since = 0;
  while (Date.now() < deadline) {
    const leaders = currentLeaders(participants, dead);
    if (leaders.length > 1) throw new Error(`two leaders at once: ${leaders.join(", ")}\n${[...participants.values()].map((p) => p.output()).join("\n")}`);
    if (leaders.length === 1 && leaders[0] === candidate) {
      if (Date.now() - since >= stableMs) return candidate;
    } else {
      candidate = leaders[0];
      since = Date.now();
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no single stable leader within ${timeoutMs} ms\n${[...participants.values()].map((p) => p.output()).join("\n")}`);
}
