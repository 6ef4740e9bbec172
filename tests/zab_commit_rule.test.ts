// The leader's commit rule against a model, over random interleavings: a proposal commits once a
// quorum of voters holds it durably (the leader once its own log reached it, a learner once it
// ACKed that very zxid), and commits go in zxid order. Learners ACK their proposals in order, as
// ZooKeeper's do, each at its own pace, and the leader's log lags at its own pace too. The
// simulator's random faults rarely line up the double failure it takes for a miscounted ACK to lose
// a write; this checks the counting itself, at every step.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CommittedHistory } from "../core/zab/history.ts";
import { LeaderZab } from "../core/zab/leader.ts";
import { quorumConfig, type QuorumServer } from "../core/zab/quorum_config.ts";
import { ackEpochPacket, learnerInfoPacket, ZAB_PROTOCOL_VERSION } from "../core/zab/wire/learner_packets.ts";
import { PacketType } from "../core/zab/wire/quorum_packet.ts";
import { SeededRandom } from "./support/seeded_random.ts";

const EPOCH = 1n << 32n;

function establishedLeader(voters: number): { zab: LeaderZab; learners: number[] } {
  const servers: QuorumServer[] = Array.from({ length: voters }, (_, i) => ({
    sid: i + 1, host: "127.0.0.1", quorumPort: 2889 + i, electionPort: 3889 + i, type: "participant", clientHost: null, clientPort: null,
  }));
  const zab = new LeaderZab(
    { myId: 1, config: quorumConfig(servers), configBytes: new Uint8Array(0), tickMs: 100, initLimit: 10, syncLimit: 5 },
    { acceptedEpoch: 0n, currentEpoch: 0n, lastZxid: 0n, history: new CommittedHistory(), nowMs: 0 },
  );
  const learners = servers.slice(1).map((s) => s.sid);
  // Link id = sid. Every learner joins before the epoch is accepted, so all are synced by NEWLEADER.
  for (const sid of learners) {
    zab.learnerConnected(sid, 0);
    zab.receive(sid, learnerInfoPacket({ serverId: BigInt(sid), protocolVersion: ZAB_PROTOCOL_VERSION, configVersion: 0n, acceptedEpoch: 0n }), 0);
  }
  zab.epochPersisted("accepted", 0);
  for (const sid of learners) zab.receive(sid, ackEpochPacket(0, 0n), 0);
  zab.epochPersisted("current", 0);
  for (const sid of learners) zab.receive(sid, ack(EPOCH), 0);
  assert.ok(zab.drain().some((e) => e.kind === "established"), "the epoch is established");
  return { zab, learners };
}

function ack(zxid: bigint) {
  return { type: PacketType.ACK, zxid, data: null, authinfo: null };
}

for (const voters of [3, 5]) {
  test(`a ${voters}-member leader commits exactly what a quorum holds, in order (200 random runs)`, () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rng = new SeededRandom(seed * 7919 + voters);
      const { zab, learners } = establishedLeader(voters);
      const quorum = Math.floor(voters / 2) + 1;
      let proposed = 0;
      let logged = 0;
      const acked = new Map(learners.map((sid) => [sid, 0]));
      const committed: number[] = [];
      let expectedCommitted = 0;
      for (let step = 0; step < 300; step++) {
        const roll = rng.int(10);
        if (roll < 4 || proposed === 0) {
          proposed++;
          zab.propose(EPOCH + BigInt(proposed), new Uint8Array([proposed & 0xff]), step);
        } else if (roll < 6) {
          logged = Math.min(proposed, logged + 1 + rng.int(3));
          zab.logged(EPOCH + BigInt(logged));
        } else {
          const sid = learners[rng.int(learners.length)]!;
          const upTo = Math.min(proposed, acked.get(sid)! + 1 + rng.int(3));
          for (let z = acked.get(sid)! + 1; z <= upTo; z++) zab.receive(sid, ack(EPOCH + BigInt(z)), step);
          acked.set(sid, upTo);
        }
        for (const effect of zab.drain()) {
          if (effect.kind === "apply") committed.push(Number(effect.zxid - EPOCH));
          assert.notEqual(effect.kind, "lost", `seed ${seed} step ${step}: the leader stepped down`);
        }
        const holders = (z: number) => (logged >= z ? 1 : 0) + [...acked.values()].filter((a) => a >= z).length;
        while (expectedCommitted < proposed && holders(expectedCommitted + 1) >= quorum) expectedCommitted++;
        assert.deepEqual(committed, Array.from({ length: expectedCommitted }, (_, i) => i + 1), `seed ${seed} step ${step}`);
      }
      assert.ok(expectedCommitted > 0, `seed ${seed}: something committed`);
    }
  });
}
