/**
 * Deliberately broken builds: each is a textual change to one source file that breaks one
 * safety rule of ZAB. The mutation test applies each to a copy of the sources and expects the
 * simulator's checkers to catch it within a bounded number of seeds, which proves they bite.
 */
export interface Mutant {
  readonly name: string;
  /** The rule the mutant breaks. */
  readonly breaks: string;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
  /** The checker that must catch it (a prefix of the violation's check), when one is meant to. */
  readonly caughtBy?: string;
}

export const MUTANTS: readonly Mutant[] = [
  {
    name: "ack-before-persist",
    breaks: "a follower ACKs a proposal only once it is durable",
    file: "core/zab/learner.ts",
    find: `    this.#pending.push({ zxid: p.zxid, bytes: p.data, proposal: !committed, committed, persisted: false });`,
    replace: `    this.#pending.push({ zxid: p.zxid, bytes: p.data, proposal: !committed, committed, persisted: false });
    if (!committed && this.#phase === LearnerPhase.broadcast) this.#send(bareQuorumPacket(PacketType.ACK, p.zxid));`,
  },
  {
    name: "commit-without-quorum",
    breaks: "the leader commits only what a quorum acked",
    file: "core/zab/leader.ts",
    find: `next !== undefined && next.acks.size >= needed;`,
    replace: `next !== undefined && next.acks.size > 0;`,
  },
  {
    name: "ack-credited-to-next",
    breaks: "an ACK counts only for the proposal it names",
    file: "core/zab/leader.ts",
    find: `    const proposal = this.#outstanding.at(Number(zxid - oldest.zxid))!;
    return proposal.zxid === zxid ? proposal : undefined;`,
    replace: `    return this.#outstanding.at(Number(zxid - oldest.zxid) + 1) ?? oldest;`,
    caughtBy: "commit quorum",
  },
  {
    name: "skip-trunc",
    breaks: "a learner told TRUNC cuts its log before taking the leader's history",
    file: "core/zab/learner.ts",
    find: `        this.#persist("truncate", p.zxid);
        this.#effects.push({ kind: "truncate", zxid: p.zxid });`,
    replace: ``,
  },
  {
    name: "current-epoch-early",
    breaks: "currentEpoch is written only after the leader's history is durable (at NEWLEADER)",
    file: "core/zab/learner.ts",
    find: `      this.#persist("acceptedEpoch", newEpoch);
      this.#effects.push({ kind: "acceptedEpoch", epoch: newEpoch });`,
    replace: `      this.#persist("acceptedEpoch", newEpoch);
      this.#effects.push({ kind: "acceptedEpoch", epoch: newEpoch });
      this.#persist("currentEpoch", newEpoch);
      this.#effects.push({ kind: "currentEpoch", epoch: newEpoch });`,
  },
  {
    name: "old-session-deadlines",
    breaks: "a new leader gives every session a full timeout (its clients touched the old leader)",
    file: "core/quorum/leader_role.ts",
    find: `        this.#renewSessions();`,
    replace: ``,
  },
  {
    name: "ephemerals-outlive-session",
    breaks: "a closed or expired session's ephemerals are deleted with it",
    file: "core/txn/apply_txn.ts",
    find: `      for (const path of txn.paths) {
        if (tree.has(path)) tree.deleteNode(path, header.zxid);
      }
      // As ZooKeeper's killSession: ephemerals the txn does not name go too (a closeSession
      // logged without a record names none).
      for (const path of tree.ephemeralsOf(header.sessionId)) tree.deleteNode(path, header.zxid);`,
    replace: ``,
    caughtBy: "ephemerals",
  },
  {
    name: "sync-not-a-barrier",
    breaks: "a learner answers a sync only once it has applied what the leader committed before it",
    file: "core/quorum/learner_role.ts",
    find: `    this.#syncs.push(done);
    this.#forward(sessionId, 0, OpCode.sync, new JuteWriter(4).ustring("/").bytes(), []);`,
    replace: `    done();`,
    caughtBy: "history",
  },
  {
    name: "watch-fires-twice",
    breaks: "a one-shot watch is used up by the event it fires",
    file: "core/watch/watch_manager.ts",
    find: `        if ((modes & WatchMode.standard) !== 0) this.#setModes(path, watcher, modes & ~WatchMode.standard);`,
    replace: ``,
    caughtBy: "watches",
  },
];

/** Simulation settings that make crash-related mutants show within a few hundred seeds. */
export const MUTATION_SIM = { slowFsyncRate: 0.3, faults: { powerLossEveryMs: 2_000 } } as const;
