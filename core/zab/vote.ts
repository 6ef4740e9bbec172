/** A member's state as fast leader election reports it (QuorumPeer.ServerState, wire values). */
export const ServerState = { looking: 0, following: 1, leading: 2, observing: 3 } as const;
/** One of {@link ServerState}. */
export type ServerState = (typeof ServerState)[keyof typeof ServerState];

/** The name ZooKeeper prints for a state ("LOOKING", ...). */
export function serverStateName(state: ServerState): string {
  return ["LOOKING", "FOLLOWING", "LEADING", "OBSERVING"][state]!;
}

/**
 * The sid an observer proposes and the zxid/epoch it reports: it never wants to lead, and its
 * own vote never wins (ZooKeeper sends Long.MIN_VALUE for all three).
 */
export const NO_SID = -1;
export const NO_ZXID = -0x8000000000000000n;

/**
 * What one member says in an election round (ZooKeeper's Notification): whom it votes for and
 * why (that candidate's last zxid and epoch), in which round, in which state it is.
 */
export interface Notification {
  readonly state: ServerState;
  /** The proposed (or, when not LOOKING, the established) leader's sid. */
  readonly leader: number;
  readonly zxid: bigint;
  /** The sender's round (logicalclock). */
  readonly electionEpoch: bigint;
  /** The epoch the proposed leader last accepted. */
  readonly peerEpoch: bigint;
  /** Notification format version; 2 carries the config (ZooKeeper 3.5+). */
  readonly version: number;
  /** The sender's config as ZooKeeper prints it (empty for older formats). */
  readonly config: string;
}

/** A vote as recorded by the receiver (ZooKeeper's Vote). */
export interface Vote {
  readonly leader: number;
  readonly zxid: bigint;
  readonly electionEpoch: bigint;
  readonly peerEpoch: bigint;
  readonly state: ServerState;
  readonly version: number;
}

/**
 * The total order of candidates: higher peer epoch, then higher zxid, then higher sid wins
 * (FastLeaderElection.totalOrderPredicate). A non-voter never wins.
 */
export function isBetterCandidate(
  candidate: { leader: number; zxid: bigint; peerEpoch: bigint },
  current: { leader: number; zxid: bigint; peerEpoch: bigint },
  isVoter: (sid: number) => boolean,
): boolean {
  if (!isVoter(candidate.leader)) return false;
  if (candidate.peerEpoch !== current.peerEpoch) return candidate.peerEpoch > current.peerEpoch;
  if (candidate.zxid !== current.zxid) return candidate.zxid > current.zxid;
  return candidate.leader > current.leader;
}

/**
 * Whether two votes agree, as Vote.equals decides: while either is LOOKING everything but the
 * state must match; otherwise only the leader and its epoch (ZOOKEEPER-1805), and only the
 * leader when one side speaks the pre-1732 format (version 0).
 */
export function votesAgree(a: Vote, b: Vote): boolean {
  if (a.state === ServerState.looking || b.state === ServerState.looking) {
    return a.leader === b.leader && a.zxid === b.zxid && a.electionEpoch === b.electionEpoch && a.peerEpoch === b.peerEpoch;
  }
  if ((a.version > 0) !== (b.version > 0)) return a.leader === b.leader;
  return a.leader === b.leader && a.peerEpoch === b.peerEpoch;
}
