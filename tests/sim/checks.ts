import type { DataTree } from "../../core/tree/data_tree.ts";
import { checkClientHistory } from "./check_client_history.ts";
import { checkDigests } from "./check_digests.ts";
import { checkEphemerals } from "./check_ephemerals.ts";
import { checkWatches } from "./check_watches.ts";
import { committedHistory } from "./committed_history.ts";
import type { HistoryEntry, SimClient } from "./sim_client.ts";
import type { MemberEvent, SimMember } from "./sim_member.ts";

/** A broken invariant, named by the checker that found it. */
export interface Violation {
  readonly check: string;
  readonly detail: string;
}

/** What the checkers look at once a run is over. */
export interface RunRecord {
  readonly members: readonly SimMember[];
  readonly clients: readonly SimClient[];
  readonly history: readonly HistoryEntry[];
  readonly trace: readonly MemberEvent[];
  readonly converged: boolean;
  /** When which member answered each session (virtual ms). */
  readonly answered: ReadonlyMap<bigint, readonly { atMs: number; sid: number }[]>;
  readonly tickMs: number;
  /** Clients that reconnected and answered a read after the run, with that reply's zxid (their pending watches are judged up to it). */
  readonly settled: ReadonlyMap<number, bigint>;
  /** Virtual ms when the run ended. */
  readonly endMs: number;
}

/** Every checker over one run; an empty list means the run was correct. */
export function checkRun(run: RunRecord): Violation[] {
  const committed = committedHistory(run.members);
  const final = run.converged ? run.members[0]!.peer!.db : null;
  return [
    ...checkRecovery(run),
    ...checkLiveness(run),
    ...checkAgreement(run),
    ...checkOneLeaderPerEpoch(run),
    ...checkIdenticalTrees(run),
    ...checkDigests(run.members),
    ...checkAcknowledgedWrites(run),
    ...checkReadsSawWrites(run),
    ...checkClientZxidsMonotonic(run),
    ...checkSessionExpiry(run),
    ...checkClientHistory(run.history, final?.tree ?? null),
    ...checkEphemerals({
      entries: run.history,
      sessions: run.clients.flatMap((c) => c.sessions),
      committed,
      final: final === null ? null : { tree: final.tree, liveSessions: new Set([...final.sessions.all()].map((s) => s.sessionId)), atMs: run.endMs },
    }),
    ...run.members.flatMap((m) => m.ephemeralsLeftAtClose.slice(0, 2).map((detail) => ({ check: "ephemerals", detail: `member ${m.sid}: ${detail}` }))),
    ...checkWatches({ clients: run.clients, committed, finalTree: final?.tree ?? null, settled: run.settled }),
  ];
}

const EXPIRING = /expiring session 0x([0-9a-f]+), timeout of (\d+)ms exceeded/;
const SERVING = /^(leader|follower|observer) of epoch (\d+) serving/;
const ROLE_ENDED = /role ended/;

/** When each member served in which epoch: [from, to) intervals from its log. */
function servingIntervals(trace: readonly MemberEvent[]): Map<number, { epoch: bigint; fromMs: number; toMs: number }[]> {
  const out = new Map<number, { epoch: bigint; fromMs: number; toMs: number }[]>();
  for (const event of trace) {
    const list = out.get(event.sid) ?? [];
    out.set(event.sid, list);
    const open = list.at(-1);
    const serving = SERVING.exec(event.line);
    if (serving !== null || ROLE_ENDED.test(event.line) || event.line.startsWith("myid ")) {
      if (open !== undefined && open.toMs === Infinity) open.toMs = event.atMs;
    }
    if (serving !== null) list.push({ epoch: BigInt(serving[2]!), fromMs: event.atMs, toMs: Infinity });
  }
  return out;
}

/**
 * No leader expires a session sooner than its timeout (less two ticks of slack) after it started
 * serving (a new leader grants every session a full timeout: its clients' touches went to the old
 * leader), nor after it answered a request of the session itself (the request touched the
 * session when it arrived, no earlier than it was sent). Touches a learner forwards are not
 * counted: a fault between learner and leader may rightly lose them.
 */
function checkSessionExpiry(run: RunRecord): Violation[] {
  const violations: Violation[] = [];
  const serving = servingIntervals(run.trace);
  const servingAt = (sid: number, atMs: number) => serving.get(sid)?.find((i) => i.fromMs <= atMs && atMs < i.toMs);
  for (const event of run.trace) {
    const match = EXPIRING.exec(event.line);
    if (match === null) continue;
    const sessionId = BigInt(`0x${match[1]}`);
    const timeoutMs = Number(match[2]);
    const leading = servingAt(event.sid, event.atMs);
    if (leading === undefined) continue;
    let touched = leading.fromMs;
    for (const answer of run.answered.get(sessionId) ?? []) {
      if (answer.atMs > event.atMs || answer.atMs <= touched) continue;
      if (answer.sid === event.sid && servingAt(answer.sid, answer.atMs) === leading) touched = answer.atMs;
    }
    if (event.atMs - touched < timeoutMs - 2 * run.tickMs) {
      violations.push({
        check: "session expiry",
        detail: `member ${event.sid} (leading epoch ${leading.epoch}) expired session 0x${match[1]} at ${event.atMs.toFixed(1)} ms, ` +
          `${(event.atMs - touched).toFixed(1)} ms after it was last touched (timeout ${timeoutMs} ms)`,
      });
    }
  }
  return violations;
}

/**
 * Every store failure has an injected cause: a crash never leaves a disk the member cannot start
 * from; a member halts, or fails to start, only while its disk is full; and one whose disk has a
 * damaged sector refuses it with a typed storage error (or an EIO from the read), never with some
 * other exception that would mean damaged bytes got past the checksums.
 */
function checkRecovery(run: RunRecord): Violation[] {
  return run.members.flatMap((m) => [
    ...m.unexplainedStoreFailures.slice(0, 3).map((f) => ({
      check: "recovery",
      detail: `member ${m.sid}: ${f.kind === "start" ? "start failed" : "halted on a store failure"} at ${f.atMs.toFixed(1)} ms with nothing injected to explain it: ${f.error}`,
    })),
    ...m.wentBack.map((why) => ({ check: "recovery", detail: `member ${m.sid} loaded less than its disk held: ${why}` })),
  ]);
}

function checkLiveness(run: RunRecord): Violation[] {
  if (run.converged) return [];
  const states = run.members.map((m) => `${m.sid}:${m.describe()}@0x${(m.peer?.db.lastProcessedZxid ?? -1n).toString(16)}`);
  return [{ check: "liveness", detail: `no convergence after faults healed: ${states.join(" ")}` }];
}

/** Every member applies, for a given zxid, the very same txn (one proposal per zxid, ever). */
function checkAgreement(run: RunRecord): Violation[] {
  const seen = new Map<bigint, { bytes: string; sid: number }>();
  const violations: Violation[] = [];
  for (const member of run.members) {
    for (const entry of member.applied) {
      if (entry.bytes === null) continue;
      const bytes = hex(entry.bytes);
      const earlier = seen.get(entry.zxid);
      if (earlier === undefined) seen.set(entry.zxid, { bytes, sid: member.sid });
      else if (earlier.bytes !== bytes) {
        violations.push({ check: "agreement", detail: `zxid 0x${entry.zxid.toString(16)}: member ${earlier.sid} and ${member.sid} applied different txns` });
      }
    }
  }
  return violations.slice(0, 5);
}

function checkOneLeaderPerEpoch(run: RunRecord): Violation[] {
  const byEpoch = new Map<string, Set<number>>();
  for (const event of run.trace) {
    const match = /^leader of epoch (\d+) serving/.exec(event.line);
    if (match === null) continue;
    const sids = byEpoch.get(match[1]!) ?? new Set();
    sids.add(event.sid);
    byEpoch.set(match[1]!, sids);
  }
  return [...byEpoch].filter(([, sids]) => sids.size > 1)
    .map(([epoch, sids]) => ({ check: "one leader per epoch", detail: `epoch ${epoch} led by ${[...sids].join(" and ")}` }));
}

/** Once converged, every member holds the same tree, node for node, Stat for Stat. */
function checkIdenticalTrees(run: RunRecord): Violation[] {
  if (!run.converged) return [];
  const [first, ...rest] = run.members;
  const reference = describeTree(first!.peer!.db.tree);
  const violations: Violation[] = [];
  for (const member of rest) {
    const mine = describeTree(member.peer!.db.tree);
    if (mine !== reference) violations.push({ check: "identical trees", detail: `member ${member.sid} differs from ${first!.sid}: ${firstDifference(reference, mine)}` });
  }
  return violations;
}

function describeTree(tree: DataTree): string {
  const lines: string[] = [];
  // /zookeeper/config is each member's own (its mtime is when that member wrote it).
  for (const path of [...tree.nodes.keys()].filter((p) => p !== "/zookeeper/config").sort()) {
    const n = tree.nodes.get(path)!;
    lines.push(`${path} ${hex(n.data)} c${n.czxid} m${n.mzxid} p${n.pzxid} v${n.version} cv${n.cversion} av${n.aversion} o${n.ephemeralOwner} t${n.ctime}/${n.mtime}`);
  }
  return lines.join("\n");
}

function firstDifference(a: string, b: string): string {
  const la = a.split("\n");
  const lb = b.split("\n");
  for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) return `"${la[i]}" vs "${lb[i]}"`;
  return "?";
}

/** An acknowledged write is never lost: the final tree holds it (or a later version of the key). */
function checkAcknowledgedWrites(run: RunRecord): Violation[] {
  const member = run.members.find((m) => m.peer !== null);
  if (!run.converged || member === undefined) return [];
  const tree = member.peer!.db.tree;
  const violations: Violation[] = [];
  for (const entry of run.history) {
    if (entry.outcome !== "ok") continue;
    const op = entry.op;
    if (op.kind === "write" || op.kind === "cas") {
      const node = tree.getNode(op.key);
      if (node === undefined || node.version < entry.version!) {
        violations.push({ check: "acknowledged writes", detail: `client ${entry.client} set ${op.key} to version ${entry.version} (zxid 0x${entry.txnZxid?.toString(16)}); final version ${node?.version ?? "none"}` });
      }
    } else if ((op.kind === "enqueue" || op.kind === "create") && tree.getNode(entry.created!) === undefined) {
      violations.push({ check: "acknowledged writes", detail: `client ${entry.client} created ${entry.created}; it is gone` });
    }
  }
  return violations.slice(0, 5);
}

/** Versions are unique per key: a read of version V must show the value the write of V set. */
function checkReadsSawWrites(run: RunRecord): Violation[] {
  const written = new Map<string, string>();
  for (const entry of run.history) {
    const op = entry.op;
    if (entry.outcome === "ok" && (op.kind === "write" || op.kind === "cas")) written.set(`${op.key}@${entry.version}`, op.value);
  }
  const violations: Violation[] = [];
  for (const entry of run.history) {
    const op = entry.op;
    if (entry.outcome !== "ok" || (op.kind !== "read" && op.kind !== "syncRead" && op.kind !== "watchRead")) continue;
    const value = written.get(`${op.key}@${entry.version}`);
    if (value !== undefined && value !== entry.value) {
      violations.push({ check: "reads", detail: `client ${entry.client} read ${op.key}@${entry.version} = "${entry.value}", but that version was written as "${value}"` });
    }
  }
  return violations.slice(0, 5);
}

/** A client never sees the ensemble go back in time, even across reconnects to other members. */
function checkClientZxidsMonotonic(run: RunRecord): Violation[] {
  const last = new Map<number, bigint>();
  const violations: Violation[] = [];
  for (const entry of [...run.history].sort((a, b) => (a.completeMs ?? 0) - (b.completeMs ?? 0))) {
    if (entry.replyZxid === undefined) continue;
    const previous = last.get(entry.client) ?? 0n;
    if (entry.replyZxid < previous) {
      violations.push({ check: "client zxid monotonic", detail: `client ${entry.client} saw 0x${entry.replyZxid.toString(16)} after 0x${previous.toString(16)}` });
    }
    if (entry.replyZxid > previous) last.set(entry.client, entry.replyZxid);
  }
  return violations.slice(0, 5);
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
