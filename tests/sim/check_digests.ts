import type { Violation } from "./checks.ts";
import type { SimMember } from "./sim_member.ts";

/**
 * Member trees are equal by digest at the same zxid: every member, after applying a txn or
 * recovering to a zxid, holds a tree with the digest every other member had at that zxid; and no
 * member ever counted a digest mismatch against the digests its leader logged with the txns.
 */
export function checkDigests(members: readonly SimMember[]): Violation[] {
  const violations: Violation[] = [];
  for (const member of members) {
    if (member.digestMismatches > 0) {
      violations.push({ check: "digests", detail: `member ${member.sid} counted ${member.digestMismatches} digest mismatch(es) (digest_mismatches_count)` });
    }
  }
  const first = new Map<bigint, { digest: bigint; sid: number; how: string; atMs: number }>();
  for (const member of members) {
    for (const point of member.digests) {
      const seen = first.get(point.zxid);
      if (seen === undefined) {
        first.set(point.zxid, { ...point, sid: member.sid });
      } else if (seen.digest !== point.digest && violations.length < 5) {
        violations.push({
          check: "digests",
          detail: `at zxid 0x${point.zxid.toString(16)} member ${seen.sid} (${seen.how} at ${seen.atMs.toFixed(1)} ms) had digest ${seen.digest}, ` +
            `member ${member.sid} (${point.how} at ${point.atMs.toFixed(1)} ms) ${point.digest}`,
        });
      }
    }
  }
  return violations;
}
