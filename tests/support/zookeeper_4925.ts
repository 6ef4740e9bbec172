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
  return firstMatchInLogs(ensemble, MemberKind.paddock, REFUSED_DIFF).map(([id, zxid]) => ({ id, zxid }));
}

/** For each member of `kind` whose log matches `pattern`: its id and the first capture. */
function firstMatchInLogs(ensemble: Ensemble, kind: MemberKind, pattern: RegExp): [number, string][] {
  const found: [number, string][] = [];
  for (const member of ensemble.members) {
    if (member.kind !== kind) continue;
    let text: string;
    try {
      text = readFileSync(member.process.logPath, "utf8");
    } catch {
      continue;
    }
    const match = pattern.exec(text);
    if (match !== null) found.push([member.id, match[1]!]);
  }
  return found;
}

/**
 * ZOOKEEPER-4925's remedy, as an operator applies it: every Paddock member that refused such a
 * DIFF starts again on an empty dataDir (its log holds the txns after the hole, so only the
 * leader's whole history mends it), then every ZooKeeper member restarts, one after the other. The hole
 * is in a ZooKeeper 3.9.3 member's in-memory committed log only; started again, it rebuilds that
 * log whole from its txn log files, and its DIFFs skip nothing. Resolves once each is spawned,
 * with the ids of the ZooKeeper members restarted.
 *
 * @example await restartZooKeeperMembers(ensemble); await ensemble.waitForQuorum();
 */
export async function restartZooKeeperMembers(ensemble: Ensemble): Promise<number[]> {
  for (const refused of refusedDiffs(ensemble)) await ensemble.replace(refused.id, MemberKind.paddock);
  const restarted: number[] = [];
  for (const member of ensemble.members) {
    if (member.kind !== MemberKind.zookeeper) continue;
    await ensemble.restart(member.id);
    restarted.push(member.id);
  }
  return restarted;
}

/** What ZooKeeper 3.9.3's DataTree logs at ERROR when its tree parts from the digest its leader logged. */
const ZOOKEEPER_DIGEST_MISMATCH = /First digest mismatch on txn: ([-0-9,]+)/;

/** A ZooKeeper member whose own digest check fired, with the txn it names (session, cxid, zxid, time, type). */
export interface ZooKeeperMismatch {
  readonly id: number;
  readonly txn: string;
}

/**
 * The ZooKeeper members whose logs say their tree parted from their leader's digest: ZooKeeper
 * 3.9.3 diverging on its own (its DIFF hole, ZOOKEEPER-4925, is the known way there), which an
 * all-ZooKeeper run can meet under the same faults as a Paddock one.
 *
 * @example zookeeperMismatches(ensemble) // [{ id: 2, txn: "144119302694043650,682,12884901889,1796667666696,15" }]
 */
export function zookeeperMismatches(ensemble: Ensemble): ZooKeeperMismatch[] {
  return firstMatchInLogs(ensemble, MemberKind.zookeeper, ZOOKEEPER_DIGEST_MISMATCH).map(([id, txn]) => ({ id, txn }));
}
