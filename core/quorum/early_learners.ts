import type { QuorumPacket } from "../zab/wire/quorum_packet.ts";
import type { LearnerLink, SnapshotTransfer } from "./quorum_transport.ts";

/** Packets a learner may send before it hears from the leader (FOLLOWERINFO, little else). */
const QUEUED_PACKETS_MAX = 8;

/**
 * A learner's link whose packets and close are kept until {@link release}, so that the role
 * that takes it over sees everything from the first FOLLOWERINFO on, in order.
 */
class HeldLearnerLink implements LearnerLink {
  readonly #link: LearnerLink;
  readonly sinceMs: number;
  #queued: QuorumPacket[] = [];
  #closedReason: string | null = null;
  #released = false;
  #onMessage: ((packet: QuorumPacket) => void) | null = null;
  #onClose: ((reason: string) => void) | null = null;

  constructor(link: LearnerLink, nowMs: number) {
    this.#link = link;
    this.sinceMs = nowMs;
    link.onMessage((packet) => {
      if (this.#released) return this.#onMessage?.(packet);
      // A learner that keeps talking before anyone answers is not one ZooKeeper knows.
      if (this.#queued.length >= QUEUED_PACKETS_MAX) return link.close();
      this.#queued.push(packet);
    });
    link.onClose((reason) => {
      if (this.#released) this.#onClose?.(reason);
      else this.#closedReason = reason;
    });
  }

  get closed(): boolean {
    return this.#closedReason !== null;
  }

  send(message: QuorumPacket | SnapshotTransfer): void {
    this.#link.send(message);
  }

  close(): void {
    this.#link.close();
  }

  onMessage(handler: (packet: QuorumPacket) => void): void {
    this.#onMessage = handler;
  }

  onClose(handler: (reason: string) => void): void {
    this.#onClose = handler;
  }

  /** From now on packets and the close pass straight through; what was kept goes first. */
  release(): void {
    this.#released = true;
    for (const packet of this.#queued.splice(0)) this.#onMessage?.(packet);
    if (this.#closedReason !== null) this.#onClose?.(this.#closedReason);
  }
}

/**
 * Learners' connections that reach this member's quorum port while it is still electing. A
 * ZooKeeper learner decides a network hop before its leader does (it counts the leader's vote
 * and its own, the leader waits for the learner's) and dials at once; ZooKeeper's leader binds
 * its quorum port only once it leads, so that learner is refused and retries every 100 ms
 * (Learner.connectToLeader). Paddock's port listens all along: closing such a connection would
 * end the learner's attempt instead (an EOF, then a new election round). So they wait here, up
 * to initLimit, for this member's decision: handed over to the leader role with whatever they
 * sent meanwhile, or closed when this member follows someone else, as a refusal would have.
 *
 * @example early.hold(link, now); ...; early.handOver((link) => leaderRole.acceptLearner(link));
 */
export class EarlyLearners {
  readonly #max: number;
  #held: HeldLearnerLink[] = [];

  /** `max` bounds the connections held at once (the oldest is closed beyond it). */
  constructor(max: number) {
    this.#max = max;
  }

  /** Connections held now (closed ones are not counted). */
  get size(): number {
    return this.#held.filter((link) => !link.closed).length;
  }

  /** Keeps a learner's connection until {@link handOver}, {@link closeAll} or {@link expire}. */
  hold(link: LearnerLink, nowMs: number): void {
    this.#held = this.#held.filter((held) => !held.closed);
    if (this.#held.length >= this.#max) this.#held.shift()!.close();
    this.#held.push(new HeldLearnerLink(link, nowMs));
  }

  /** This member leads: every live held connection goes to `accept`, then what it sent. */
  handOver(accept: (link: LearnerLink) => void): void {
    for (const held of this.#held.splice(0)) {
      if (held.closed) continue;
      accept(held);
      held.release();
    }
  }

  /** This member does not lead (it follows, observes or stops): nobody will answer them. */
  closeAll(): void {
    for (const held of this.#held.splice(0)) held.close();
  }

  /** Closes those held since before `nowMs - maxWaitMs` (the learner has given up by then). */
  expire(nowMs: number, maxWaitMs: number): void {
    const [keep, stale] = [this.#held.filter((h) => nowMs - h.sinceMs < maxWaitMs), this.#held.filter((h) => nowMs - h.sinceMs >= maxWaitMs)];
    this.#held = keep;
    for (const held of stale) held.close();
  }
}
