import { imageSource } from "../tree/tree_image.ts";
import { DataTree } from "../tree/data_tree.ts";
import { SnapshotTranscoder } from "../server/snapshot_transcoder.ts";
import { encodeQuorumPacket, PacketType, type QuorumPacket, QuorumPacketParser } from "../zab/wire/quorum_packet.ts";
import { encodeZkSnapshot, ZkSnapshotDecoder } from "../zab/wire/zk_snapshot.ts";
import type { PeerStream } from "../io/peer_stream.ts";
import { CLOSED_HERE, type FromLeader, type LeaderLink, type LearnerLink, type SnapshotTransfer } from "./quorum_transport.ts";

/** How much of a snapshot may sit unsent in the socket before the next chunk waits. */
const SNAPSHOT_BACKLOG_MAX_BYTES = 4 * 1024 * 1024;

/** Limits on what a peer may send (jute.maxbuffer decides, as in ZooKeeper). */
export interface QuorumLinkLimits {
  readonly juteMaxBuffer: number;
  readonly extendedTypesEnabled: boolean;
}

/** Shared plumbing of both ends: one parser, one close, garbage closes the link. */
abstract class TcpQuorumLink<In> {
  protected readonly stream: PeerStream;
  protected readonly parser: QuorumPacketParser;
  #onMessage: ((message: In) => void) | null = null;
  #onClose: ((reason: string) => void) | null = null;
  #closeReason = "connection closed";
  #closed = false;

  constructor(stream: PeerStream, limits: QuorumLinkLimits) {
    this.stream = stream;
    this.parser = new QuorumPacketParser({ maxDataBytes: 2 * limits.juteMaxBuffer });
    stream.onData((chunk) => this.#data(chunk));
    stream.onClose(() => {
      this.#closed = true;
      this.#onClose?.(this.#closeReason);
    });
  }

  #data(chunk: Uint8Array): void {
    try {
      this.parser.push(chunk);
      this.drainPackets();
    } catch (error) {
      this.#closeReason = `bad data from ${this.stream.remote}: ${(error as Error).message}`;
      this.stream.close();
    }
  }

  /** Reads every complete packet (a subclass may switch the parser to a snapshot in between). */
  protected abstract drainPackets(): void;

  protected deliver(message: In): void {
    if (!this.#closed) this.#onMessage?.(message);
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closeReason = CLOSED_HERE;
    this.stream.close();
  }

  onMessage(handler: (message: In) => void): void {
    this.#onMessage = handler;
  }

  onClose(handler: (reason: string) => void): void {
    this.#onClose = handler;
  }
}

/**
 * The leader's end of a learner's quorum connection: packets as ZooKeeper encodes them, and for
 * SNAP the database serialized as ZooKeeper's DataTree in chunks, paced by the socket's backlog;
 * packets sent meanwhile wait behind the snapshot, so the learner sees them in order.
 */
export class TcpLearnerLink extends TcpQuorumLink<QuorumPacket> implements LearnerLink {
  readonly #limits: QuorumLinkLimits;
  /** Packets held while a snapshot streams out. */
  #held: Uint8Array[] | null = null;

  constructor(stream: PeerStream, limits: QuorumLinkLimits) {
    super(stream, limits);
    this.#limits = limits;
  }

  protected drainPackets(): void {
    for (let p = this.parser.next(); p !== null; p = this.parser.next()) this.deliver(p);
  }

  send(message: QuorumPacket | SnapshotTransfer): void {
    if (this.closed) return;
    if ("image" in message) {
      this.#write(encodeQuorumPacket({ type: PacketType.SNAP, zxid: message.zxid, data: null, authinfo: null }));
      this.#streamSnapshot(message);
      return;
    }
    this.#write(encodeQuorumPacket(message));
  }

  #write(bytes: Uint8Array): void {
    if (this.#held !== null) this.#held.push(bytes);
    else this.stream.write(bytes);
  }

  /** The image is frozen at capture: it is encoded as it was while the live tree moves on. */
  #streamSnapshot(transfer: SnapshotTransfer): void {
    const { image, release } = transfer.image;
    const chunks = encodeZkSnapshot(imageSource(image), image.sessions);
    this.#held = [];
    const pump = () => {
      if (this.closed) return release();
      transfer.progress?.();
      for (let step = chunks.next(); !step.done; step = chunks.next()) {
        this.stream.write(step.value);
        if (this.stream.backlogBytes() > SNAPSHOT_BACKLOG_MAX_BYTES) {
          this.stream.whenDrained(pump);
          return;
        }
      }
      release();
      const held = this.#held ?? [];
      this.#held = null;
      for (const bytes of held) this.stream.write(bytes);
      transfer.progress?.();
    };
    pump();
  }
}

/**
 * The learner's end: packets from the leader, and after a SNAP the leader's database decoded
 * into a fresh tree as its bytes arrive, delivered whole once its signature is read.
 */
export class TcpLeaderLink extends TcpQuorumLink<FromLeader> implements LeaderLink {
  readonly #limits: QuorumLinkLimits;
  #snapshot: { zxid: bigint; tree: DataTree; decoder: ZkSnapshotDecoder; transcoder: SnapshotTranscoder } | null = null;

  constructor(stream: PeerStream, limits: QuorumLinkLimits) {
    super(stream, limits);
    this.#limits = limits;
  }

  send(message: QuorumPacket): void {
    if (!this.closed) this.stream.write(encodeQuorumPacket(message));
  }

  protected drainPackets(): void {
    for (;;) {
      if (this.#snapshot !== null) {
        if (this.parser.inSnapshot) return;
        const { zxid, tree, decoder, transcoder } = this.#snapshot;
        this.#snapshot = null;
        tree.lastProcessedZxid = zxid;
        this.deliver({ kind: "snapshot", snapshot: { zxid, tree, sessions: decoder.sessions, transcoder } });
      }
      const p = this.parser.next();
      if (p === null) return;
      if (p.type !== PacketType.SNAP) {
        this.deliver({ kind: "packet", packet: p });
        continue;
      }
      const tree = new DataTree({ extendedTypesEnabled: this.#limits.extendedTypesEnabled });
      // The learner's own snapshot is written as the nodes arrive: installing it is then a write.
      const transcoder = new SnapshotTranscoder(tree);
      const decoder = new ZkSnapshotDecoder(tree, { maxLengthBytes: 2 * this.#limits.juteMaxBuffer, onNode: (slot) => transcoder.added(slot) });
      this.#snapshot = { zxid: p.zxid, tree, decoder, transcoder };
      this.parser.receiveSnapshot(decoder);
    }
  }
}
