/**
 * What an ensemble member tells the four-letter words and the AdminServer about its place in
 * the ensemble (ZooKeeper's QuorumPeer and Leader beans). A standalone server has none.
 */
export interface QuorumFacts {
  readonly myId: number;
  /** `zk_peer_state`: "looking", "following - broadcast", "leading - synchronization", ... */
  peerState(): string;
  /** ZooKeeper's ZabState: where the member is in the protocol. */
  zabState(): "election" | "discovery" | "synchronization" | "broadcast";
  /** The leader's sid, null while looking. */
  leaderId(): number | null;
  /** Voting members of the config (`zk_quorum_size`). */
  readonly quorumSize: number;
  /** The last election's duration in ms (null before the first). */
  electionTimeMs(): number | null;
  /** The leader's figures; null on other members. */
  leaderStats(): LeaderStats | null;
  /** Counters over the member's life, whatever its roles (ZooKeeper's ServerMetrics counters). */
  counters(): QuorumCounters;
}

/** What a member counts across roles. */
export interface QuorumCounters {
  /** Learners this member synced while leading, by mode. */
  readonly diffSyncs: number;
  readonly truncSyncs: number;
  readonly snapSyncs: number;
  /** Elections this member finished. */
  readonly elections: number;
  /** Sum of their durations, ms. */
  readonly electionTimeSumMs: number;
  readonly electionTimeMaxMs: number;
  readonly electionTimeMinMs: number;
}

/** The figures a leader adds to `mntr` and `srvr`. */
export interface LeaderStats {
  readonly learners: number;
  readonly syncedFollowers: number;
  readonly syncedNonVotingFollowers: number;
  readonly syncedObservers: number;
  readonly pendingSyncs: number;
  readonly uptimeMs: number;
  /** Sizes of proposals in bytes (ZooKeeper's BufferStats): -1 before the first. */
  readonly lastProposalSize: number;
  readonly minProposalSize: number;
  readonly maxProposalSize: number;
}
