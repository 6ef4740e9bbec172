import { test } from "node:test";
import assert from "node:assert/strict";
import { FastLeaderElection } from "../core/zab/election.ts";
import { quorumConfig, quorumConfigText, type QuorumServer } from "../core/zab/quorum_config.ts";
import { type Notification, ServerState } from "../core/zab/vote.ts";

// Found by the simulator (5 members and an observer): a looking participant answers every
// notification of an observer, and an observing observer answers every notification of a looking
// participant, so the two answered each other for as long as the election lasted; each duplicated
// notification started another such exchange, and the run drowned in them.

const servers: QuorumServer[] = [1, 2, 3, 4].map((sid) => ({
  sid, host: `10.0.1.${sid}`, quorumPort: 2888, electionPort: 3888, type: sid === 4 ? "observer" : "participant", clientHost: null, clientPort: null,
}));
const config = quorumConfig(servers);
const configText = quorumConfigText(config);

function member(myId: number): FastLeaderElection {
  const election = new FastLeaderElection({ myId, config, configText });
  election.lookForLeader({ lastLoggedZxid: 0x100000005n, currentEpoch: 1n, nowMs: 0 });
  election.ready();
  return election;
}

function note(state: ServerState, leader: number, electionEpoch = 1n): Notification {
  return { state, leader, zxid: 0x100000005n, electionEpoch, peerEpoch: 1n, version: 2, config: configText };
}

test("a looking participant answers a looking observer, not an observing one", () => {
  const participant = member(1);
  participant.receive(4, note(ServerState.looking, 4), 10);
  assert.deepEqual(participant.ready().send.map((m) => m.to), [4], "a looking observer learns the participant's vote");
  participant.receive(4, note(ServerState.observing, 3), 20);
  assert.deepEqual(participant.ready().send, [], "an observer's answer is not answered again");
});

test("an observing observer does not answer a looking participant (participants never count it)", () => {
  const observer = member(4);
  // The observer learns the leader from a quorum of participants following 3.
  for (const sid of [2, 3]) observer.receive(sid, note(sid === 3 ? ServerState.leading : ServerState.following, 3), 5);
  assert.equal(observer.ready().decided?.state, ServerState.observing);
  observer.receive(1, note(ServerState.looking, 1, 2n), 30);
  assert.deepEqual(observer.ready().send, []);
});

test("a following participant still tells a looking participant who leads", () => {
  const follower = member(2);
  for (const sid of [1, 3]) follower.receive(sid, note(sid === 3 ? ServerState.leading : ServerState.following, 3), 5);
  assert.equal(follower.ready().decided?.state, ServerState.following);
  follower.receive(1, note(ServerState.looking, 1, 2n), 30);
  assert.deepEqual(follower.ready().send.map((m) => m.to), [1]);
});

test("a looking observer ahead of the participants' round does not answer them (they answer it, and never count it)", () => {
  const observer = member(4);
  observer.receive(1, note(ServerState.looking, 1, 3n), 5);
  observer.ready();
  observer.receive(2, note(ServerState.looking, 3, 2n), 10);
  assert.deepEqual(observer.ready().send, [], "a participant behind the observer's round is not sent the observer's proposal");
  const participant = member(2);
  participant.receive(1, note(ServerState.looking, 3, 3n), 5);
  participant.ready();
  participant.receive(3, note(ServerState.looking, 3, 2n), 10);
  assert.deepEqual(participant.ready().send.map((m) => m.to), [3], "a participant behind our round still gets our proposal");
});
