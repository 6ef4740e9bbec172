import { readFileSync } from "node:fs";
import { type Ensemble, MemberKind } from "./ensemble.ts";

/**
 * What a Paddock learner logs when a DIFF leaves its tree unlike its leader's (core/zab/learner.ts):
 * in a mixed ensemble, a ZooKeeper 3.9.3 leader with a hole in its committed log (ZOOKEEPER-4925).
 */
const REFUSED_DIFF = /parted from the leader's at txn (0x[0-9a-f]+)/;

/** A Paddock member that refused a DIFF skipping txns, and the first txn its tree could not match. */
export interface RefusedDiff {
  readonly id: number;
  readonly zxid: string;
}

/**
 * The Paddock members whose logs say they refused a leader's DIFF that skipped txns
 * (ZOOKEEPER-4925 on a ZooKeeper 3.9.3 leader), each with the txn where their tree parted.
 *
 * @example const refused = refusedDiffs(ensemble); // [{ id: 2, zxid: "0x200000001" }]
 */
export function refusedDiffs(ensemble: Ensemble): RefusedDiff[] {
  const found: RefusedDiff[] = [];
  for (const member of ensemble.members) {
    if (member.kind !== MemberKind.paddock) continue;
    let text: string;
    try {
      text = readFileSync(member.process.logPath, "utf8");
    } catch {
      continue;
    }
    const match = REFUSED_DIFF.exec(text);
    if (match !== null) found.push({ id: member.id, zxid: match[1]! });
  }
  return found;
}

/**
 * ZOOKEEPER-4925's remedy: restarts every ZooKeeper member, one after the other. The hole
 * is in a ZooKeeper 3.9.3 member's in-memory committed log only; started again, it rebuilds that
 * log whole from its txn log files, and its DIFFs skip nothing. Resolves once each is spawned.
 *
 * @example await restartZooKeeperMembers(ensemble); await ensemble.waitForQuorum();
 */
export async function restartZooKeeperMembers(ensemble: Ensemble): Promise<number[]> {
  const restarted: number[] = [];
  for (const member of ensemble.members) {
    if (member.kind !== MemberKind.zookeeper) continue;
    await ensemble.restart(member.id);
    restarted.push(member.id);
  }
  return restarted;
}
