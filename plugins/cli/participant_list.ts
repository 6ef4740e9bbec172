import type { Participant } from "../../recipes/mod.ts";
import { sinceText } from "./waiting.ts";

/** What the first participant is called: an election's leader, a lock's holder. */
export type FirstRole = "leader" | "holder";

/**
 * `--list` as text: one participant per line in queue order, the first marked with its role
 * ("alpha leader", "beta").
 *
 * @example participantsText(list, "holder") // "web-1:42 holder\nweb-2:77\n"
 */
export function participantsText(participants: readonly Participant[], role: FirstRole): string {
  return participants.map((p) => (p.isLeader ? `${p.id} ${role}\n` : `${p.id}\n`)).join("");
}

/**
 * `--list --json`: `{"leader": ID|null, "participants": [{"id", "node", "isLeader", "since"}]}`
 * (holder/isHolder for a lock).
 *
 * @example participantsJson(list, "leader") // '{"leader":"alpha","participants":[...]}\n'
 */
export function participantsJson(participants: readonly Participant[], role: FirstRole): string {
  const flag = role === "leader" ? "isLeader" : "isHolder";
  const first = participants.find((p) => p.isLeader)?.id ?? null;
  const list = participants.map((p) => ({ id: p.id, node: p.name, [flag]: p.isLeader, since: sinceText(p.sinceMs) }));
  return JSON.stringify({ [role]: first, participants: list }) + "\n";
}
