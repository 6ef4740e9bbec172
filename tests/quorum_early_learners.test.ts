import { test } from "node:test";
import assert from "node:assert/strict";
import { EarlyLearners } from "../core/quorum/early_learners.ts";
import type { LearnerLink } from "../core/quorum/quorum_transport.ts";
import { bareQuorumPacket } from "../core/zab/wire/learner_packets.ts";
import { PacketType, type QuorumPacket } from "../core/zab/wire/quorum_packet.ts";

/** A learner's connection as the transport hands it over: the test plays the learner's side. */
class FakeLink implements LearnerLink {
  closed = false;
  #onMessage: ((packet: QuorumPacket) => void) | null = null;
  #onClose: ((reason: string) => void) | null = null;

  send(): void {}
  close(): void {
    this.peerClosed("closed here");
  }
  onMessage(handler: (packet: QuorumPacket) => void): void {
    this.#onMessage = handler;
  }
  onClose(handler: (reason: string) => void): void {
    this.#onClose = handler;
  }
  /** The learner sends a packet. */
  deliver(packet: QuorumPacket): void {
    if (!this.closed) this.#onMessage?.(packet);
  }
  /** The connection ends (onClose fires once, as TCP links do). */
  peerClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.#onClose?.(reason);
  }
}

const followerInfo = bareQuorumPacket(PacketType.FOLLOWERINFO, 0x100000000n);
const ack = bareQuorumPacket(PacketType.ACK, 0x100000000n);

test("a learner that dials before this member decided to lead is handed to the leader role with what it sent meanwhile, in order", () => {
  const early = new EarlyLearners(4);
  const link = new FakeLink();
  early.hold(link, 0);
  link.deliver(followerInfo);
  link.deliver(ack);
  const seen: string[] = [];
  early.handOver((held) => {
    held.onMessage((packet) => seen.push(`recv ${packet.type}`));
    held.onClose((reason) => seen.push(`close ${reason}`));
  });
  assert.deepEqual(seen, [`recv ${PacketType.FOLLOWERINFO}`, `recv ${PacketType.ACK}`]);
  // Released: later packets and the close pass straight through.
  link.deliver(ack);
  link.peerClosed("eof");
  assert.deepEqual(seen.slice(2), [`recv ${PacketType.ACK}`, "close eof"]);
  assert.equal(early.size, 0);
});

test("a held learner that hangs up is not handed over; one that never hears back is closed after the wait, and the bound closes the oldest", () => {
  const early = new EarlyLearners(2);
  const [gone, stale, fresh, newest] = [new FakeLink(), new FakeLink(), new FakeLink(), new FakeLink()];
  early.hold(gone, 0);
  gone.peerClosed("eof");
  early.hold(stale, 100);
  early.hold(fresh, 900);
  assert.equal(early.size, 2);
  early.expire(1_100, 1_000);
  assert.ok(stale.closed, "held for the whole wait: closed");
  assert.ok(!fresh.closed);
  early.hold(newest, 1_200);
  early.hold(new FakeLink(), 1_300);
  assert.ok(fresh.closed, "beyond the bound the oldest goes");
  const accepted: LearnerLink[] = [];
  early.handOver((link) => accepted.push(link));
  assert.equal(accepted.length, 2);
});

test("when this member follows someone else, every held learner is closed, as a refusal would have been", () => {
  const early = new EarlyLearners(4);
  const links = [new FakeLink(), new FakeLink()];
  for (const link of links) early.hold(link, 0);
  early.closeAll();
  assert.ok(links.every((link) => link.closed));
  const accepted: LearnerLink[] = [];
  early.handOver((link) => accepted.push(link));
  assert.equal(accepted.length, 0);
});
