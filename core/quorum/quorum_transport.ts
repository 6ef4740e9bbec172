import type { QuorumServer } from "../zab/quorum_config.ts";
import type { QuorumPacket } from "../zab/wire/quorum_packet.ts";
import type { Notification } from "../zab/vote.ts";
import type { CapturedImage } from "../tree/tree_image.ts";
import type { DataTree } from "../tree/data_tree.ts";
import type { SnapshotTranscoder } from "../server/snapshot_transcoder.ts";

/**
 * A leader's whole database as it goes to a learner after SNAP: captured at one zxid on the
 * sending side, materialized as a tree and session list on the receiving side. On TCP it is
 * ZooKeeper's serialized DataTree; in the simulator it travels as an object.
 */
export interface SnapshotTransfer {
  readonly zxid: bigint;
  /** Frozen at capture; whoever sends it releases it once it has been read. */
  readonly image: CapturedImage;
  /**
   * Called whenever more of it went out, the last time once it all has: the learner's silence is
   * counted from then (a stream that stalls stops calling it).
   */
  readonly progress?: () => void;
}

/** What a learner receives after a SNAP packet. */
export interface ReceivedSnapshot {
  readonly zxid: bigint;
  readonly tree: DataTree;
  readonly sessions: readonly { sessionId: bigint; timeoutMs: number }[];
  /** Paddock's snapshot of `tree`, written while it was loaded (absent: encode it to install it). */
  readonly transcoder?: SnapshotTranscoder;
}

/** A message from the leader: a packet, or a SNAP with the database that follows it. */
export type FromLeader =
  | { readonly kind: "packet"; readonly packet: QuorumPacket }
  | { readonly kind: "snapshot"; readonly snapshot: ReceivedSnapshot };

/** The reason a link's `onClose` gives when this side closed it (whoever closed it logged why). */
export const CLOSED_HERE = "closed here";

/**
 * One learner-leader connection on the quorum port, as the roles see it: ordered, reliable until
 * closed (TCP semantics), message-level. Handlers are set once; `onClose` fires exactly once.
 */
export interface QuorumLink<In, Out> {
  send(message: Out): void;
  close(): void;
  onMessage(handler: (message: In) => void): void;
  onClose(handler: (reason: string) => void): void;
}

/** The leader's end of a link: packets out (and snapshots), packets in. */
export type LearnerLink = QuorumLink<QuorumPacket, QuorumPacket | SnapshotTransfer>;
/** The learner's end of a link. */
export type LeaderLink = QuorumLink<FromLeader, QuorumPacket>;

/**
 * How a member reaches the others: election notifications by sid (the transport keeps the
 * connections, as QuorumCnxManager does), quorum links to the leader, and learners' links
 * accepted while leading.
 */
export interface PeerTransport {
  /** Sends a notification to member `to` (dropped if it cannot be delivered; the election resends). */
  sendNotification(to: number, notification: Notification): void;
  /** Registers the receiver of every notification. */
  onNotification(handler: (from: number, notification: Notification) => void): void;
  /** Connects to a leader's quorum port; resolves with the link or rejects when it cannot. */
  connectToLeader(leader: QuorumServer): Promise<LeaderLink>;
  /** Registers the acceptor of learners' links (taken while leading, held while electing, else closed). */
  onLearner(handler: (link: LearnerLink) => void): void;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}
