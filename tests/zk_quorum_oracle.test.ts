// A real ZooKeeper 3.9.3 QuorumPeerMain runs as server 3 of a three-server ensemble whose servers
// 1 and 2 are this test's sockets, speaking only Paddock's codecs:
//  - election: its handshakes and notifications decode; a malformed handshake is refused while it
//    lives on; a well-formed one makes it dial the address we advertised; our vote moves its vote.
//  - learner protocol: it follows "server 1", a fake leader driven by hand over the quorum port:
//    FOLLOWERINFO, LEADERINFO, ACKEPOCH, SNAP with a Paddock-encoded snapshot, NEWLEADER, UPTODATE;
//    then it serves clients from that snapshot, forwards their writes as REQUESTs that Paddock's
//    own prep turns into PROPOSALs (with Paddock's tree digest, which ZooKeeper checks), and
//    answers PINGs with its sessions.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { JuteReader, OpCode, writeAcls, type ACL } from "../core/proto/mod.ts";
import { OutstandingChanges } from "../core/pipeline/change_record.ts";
import { prepWrite } from "../core/pipeline/prep.ts";
import { DataTree } from "../core/tree/data_tree.ts";
import { applyTxn } from "../core/txn/apply_txn.ts";
import { encodeTxn } from "../core/txn/txn_codec.ts";
import { DIGEST_VERSION } from "../core/tree/tree_digest.ts";
import {
  decodeNotification,
  type ElectionItem,
  ElectionStreamParser,
  encodeInitialMessage,
  encodeNotification,
  frameElectionMessage,
  type Notification,
  PROTOCOL_VERSION_V1,
  ServerState,
} from "../core/zab/wire/election_wire.ts";
import {
  bareQuorumPacket,
  epochOf,
  leaderInfoPacket,
  makeZxid,
  newLeaderPacket,
  readAckEpoch,
  readLearnerInfo,
  readPingTouches,
  readRequest,
  txnPacket,
  ZAB_PROTOCOL_VERSION,
} from "../core/zab/wire/learner_packets.ts";
import { formatQuorumConfig, parseQuorumConfig } from "../core/zab/wire/quorum_config.ts";
import { encodeQuorumPacket, PacketType, type QuorumPacket, QuorumPacketParser } from "../core/zab/wire/quorum_packet.ts";
import { encodeZkSnapshot, type SessionTimeout } from "../core/zab/wire/zk_snapshot.ts";
import { freePort } from "./support/ports.ts";
import { dialPeer, type PeerConnection, PeerListener } from "./support/peer_socket.ts";
import { RawSession } from "./support/raw_session.ts";
import { type PeerProcess, startQuorumPeer393, zookeeper393SkipReason } from "./support/zookeeper_393.ts";

const STEP_MS = 20_000;
const OPEN: ACL[] = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];

const electionParser = (expectHandshake: boolean) => {
  const parser = new ElectionStreamParser({ expectHandshake });
  return (chunk: Uint8Array) => {
    parser.push(chunk);
    const items: ElectionItem[] = [];
    for (let item = parser.next(); item !== null; item = parser.next()) items.push(item);
    return items;
  };
};

async function nextNotification(conn: PeerConnection<ElectionItem>, what: string): Promise<Notification> {
  const item = await conn.next(STEP_MS, what);
  assert.equal(item.kind, "notification", what);
  return decodeNotification((item as { bytes: Uint8Array }).bytes);
}

/** Why the peer cannot run here, or false; on each test too, so that every runtime reports the skips. */
const skip = zookeeper393SkipReason();

describe("a ZooKeeper 3.9.3 peer among Paddock's sockets", () => {
  const ports = { q: [0, 0, 0], e: [0, 0, 0], client: 0, advertised: 0 };
  let peer: PeerProcess;
  let election1: PeerListener<ElectionItem>;
  let election2: PeerListener<ElectionItem>;
  let advertised: PeerListener<ElectionItem>;
  let quorum1: PeerListener<QuorumPacket>;
  let fromZk1: PeerConnection<ElectionItem>;
  let firstVote: Notification;
  let configText: string;

  before(async () => {
    if (skip !== false) return;
    for (let i = 0; i < 3; i++) [ports.q[i], ports.e[i]] = [await freePort(), await freePort()];
    ports.client = await freePort();
    ports.advertised = await freePort();
    election1 = await PeerListener.listen(ports.e[0]!, () => electionParser(true));
    election2 = await PeerListener.listen(ports.e[1]!, () => electionParser(true));
    advertised = await PeerListener.listen(ports.advertised, () => electionParser(true));
    quorum1 = await PeerListener.listen(ports.q[0]!, () => {
      const parser = new QuorumPacketParser();
      return (chunk) => {
        parser.push(chunk);
        const packets: QuorumPacket[] = [];
        for (let p = parser.next(); p !== null; p = parser.next()) packets.push(p);
        return packets;
      };
    });
    peer = startQuorumPeer393({
      myid: 3,
      clientPort: ports.client,
      serverLines: [0, 1, 2].map((i) => `server.${i + 1}=127.0.0.1:${ports.q[i]}:${ports.e[i]}`),
    });
  });

  after(async () => {
    await peer?.stop();
    for (const l of [election1, election2, advertised, quorum1]) await l?.close();
  });

  test("election: its handshakes and first notifications decode: sid 3, LOOKING, voting for itself, its config", { skip }, async () => {
    for (const [listener, name] of [[election1, "server 1"], [election2, "server 2"]] as const) {
      const conn = await listener.accept(STEP_MS);
      const hello = await conn.next(STEP_MS, `the handshake to ${name}`);
      assert.deepEqual(hello, {
        kind: "handshake",
        message: { protocolVersion: PROTOCOL_VERSION_V1, sid: 3n, electionAddresses: [{ host: "127.0.0.1", port: ports.e[2] }] },
      });
      const vote = await nextNotification(conn, `a notification to ${name}`);
      assert.equal(vote.state, ServerState.LOOKING);
      assert.equal(vote.leader, 3n);
      assert.equal(vote.zxid, 0n);
      assert.equal(vote.peerEpoch, 0n);
      assert.equal(vote.version, 2);
      assert.ok(vote.electionEpoch >= 1n);
      if (name === "server 1") {
        fromZk1 = conn;
        firstVote = vote;
      }
    }
    configText = new TextDecoder().decode(firstVote.config!);
    const expected = formatQuorumConfig({
      servers: [0, 1, 2].map((i) => ({ sid: BigInt(i + 1), addresses: [{ host: "127.0.0.1", quorumPort: ports.q[i]!, electionPort: ports.e[i]! }], role: "participant" as const })),
      version: 0n,
    });
    assert.equal(configText, expected, "Paddock formats the config exactly as 3.9.3 does");
    assert.equal(formatQuorumConfig(parseQuorumConfig(configText)), configText);
  });

  test("election: a malformed handshake is refused and ZooKeeper lives on; a good one makes it dial our address", { skip }, async () => {
    const bad = await dialPeer(ports.e[2]!, electionParser(false));
    const garbage = encodeInitialMessage({ protocolVersion: PROTOCOL_VERSION_V1, sid: 2n, electionAddresses: [{ host: "127.0.0.1", port: 1 }] });
    new DataView(garbage.buffer).setInt32(16, 100_000); // an address length over maxBuffer
    bad.send(garbage);
    await Promise.race([bad.closed, new Promise((_r, reject) => setTimeout(() => reject(new Error("ZooKeeper kept the bad connection")), STEP_MS))]);
    await peer.waitForLog(/Initial message parsing error|Unreasonable buffer length/, STEP_MS);
    assert.equal(peer.exited(), false);
    // As server 2 (a smaller sid than 3), advertising another port: ZooKeeper drops our connection
    // and dials the address it read from our handshake.
    const good = await dialPeer(ports.e[2]!, electionParser(false));
    good.send(encodeInitialMessage({ protocolVersion: PROTOCOL_VERSION_V1, sid: 2n, electionAddresses: [{ host: "127.0.0.1", port: ports.advertised }] }));
    const back = await advertised.accept(STEP_MS);
    const hello = await back.next(STEP_MS, "the handshake on the advertised port");
    assert.equal(hello.kind === "handshake" && hello.message.sid, 3n);
    const vote = await nextNotification(back, "a notification on the advertised port");
    assert.equal(vote.leader, 3n);
    good.destroy();
    bad.destroy();
  });

  test("election: a better vote from server 1 moves ZooKeeper's vote to server 1", { skip }, async () => {
    const mine: Omit<Notification, "version"> = {
      state: ServerState.LOOKING,
      leader: 1n,
      zxid: makeZxid(1n, 5n),
      electionEpoch: firstVote.electionEpoch,
      peerEpoch: 1n,
      config: firstVote.config,
    };
    const logFrom = peer.output().length;
    fromZk1.send(frameElectionMessage(encodeNotification(mine)));
    const moved = await nextNotificationWhere(fromZk1, (n) => n.leader === 1n, "a notification for leader 1");
    assert.equal(moved.zxid, mine.zxid);
    assert.equal(moved.peerEpoch, 1n);
    await peer.waitForLog(/Notification: my state:LOOKING; n\.sid:1, n\.state:LOOKING, n\.leader:1, n\.round:0x[0-9a-f]+, n\.peerEpoch:0x1, n\.zxid:0x100000005/, STEP_MS, logFrom);
  });

  test("learner protocol: it follows a hand-driven leader through SNAP, serves the snapshot, and round-trips writes", { skip }, async () => {
    const learner = await quorum1.accept(STEP_MS);
    const info = await learner.next(STEP_MS, "FOLLOWERINFO");
    assert.equal(info.type, PacketType.FOLLOWERINFO);
    assert.deepEqual(readLearnerInfo(info), { acceptedEpoch: 0n, serverId: 3n, protocolVersion: ZAB_PROTOCOL_VERSION, configVersion: 0n });
    const newEpoch = 1n;
    learner.send(encodeQuorumPacket(leaderInfoPacket(newEpoch)));
    const ack = await learner.next(STEP_MS, "ACKEPOCH");
    assert.equal(ack.type, PacketType.ACKEPOCH);
    assert.deepEqual(readAckEpoch(ack), { currentEpoch: 0, lastZxid: 0n });
    // The leader's state: a Paddock tree built by Paddock's own txns, and one session.
    const leader = new FakeLeader(newEpoch);
    leader.write({ type: OpCode.create, path: "/paddock", data: new TextEncoder().encode("from a Paddock snapshot"), acl: OPEN, ephemeralOwner: 0n, parentCVersion: 1 });
    leader.write({ type: OpCode.create, path: "/paddock/child", data: new Uint8Array([1, 2, 3]), acl: OPEN, ephemeralOwner: 0n, parentCVersion: 1 });
    const sessions: SessionTimeout[] = [{ sessionId: 0x1234n, timeoutMs: 30_000 }];
    learner.send(encodeQuorumPacket(bareQuorumPacket(PacketType.SNAP, leader.tree.lastProcessedZxid)));
    for (const chunk of encodeZkSnapshot(leader.tree, sessions, { chunkBytes: 100 })) learner.send(chunk);
    learner.send(encodeQuorumPacket(newLeaderPacket(newEpoch, firstVote.config)));
    const newLeaderAck = await learner.next(STEP_MS, "the NEWLEADER ACK");
    assert.deepEqual(newLeaderAck, bareQuorumPacket(PacketType.ACK, makeZxid(newEpoch, 0n)));
    learner.send(encodeQuorumPacket(bareQuorumPacket(PacketType.UPTODATE, -1n)));
    const upToDateAck = await learner.next(STEP_MS, "the UPTODATE ACK");
    assert.deepEqual(upToDateAck, bareQuorumPacket(PacketType.ACK, makeZxid(newEpoch, 0n)));
    // Keep the follower alive (its read timeout is syncLimit ticks) and answer what it forwards.
    const pinger = setInterval(() => learner.send(encodeQuorumPacket(bareQuorumPacket(PacketType.PING, leader.lastZxid))), 300);
    const serving = leader.serve(learner);
    try {
      // The follower starts serving just after its UPTODATE ACK: until then it closes connections.
      const client = await connectWhenServing(ports.client);
      const data = await client.request(OpCode.getData, (w) => void w.ustring("/paddock").bool(false));
      assert.equal(data.err, 0);
      assert.equal(new TextDecoder().decode(data.body.buffer()!), "from a Paddock snapshot");
      const children = await client.request(OpCode.getChildren, (w) => void w.ustring("/paddock").bool(false));
      assert.deepEqual(children.body.ustrings(), ["child"]);
      const created = await client.request(OpCode.create, (w) => {
        w.ustring("/written-through-zookeeper").buffer(new TextEncoder().encode("hi"));
        writeAcls(w, OPEN);
        w.int(1);
      });
      assert.equal(created.err, 0);
      assert.equal(created.body.string(), "/written-through-zookeeper");
      const set = await client.request(OpCode.setData, (w) => void w.ustring("/paddock").buffer(new TextEncoder().encode("v2")).int(0));
      assert.equal(set.err, 0);
      const synced = await client.request(OpCode.sync, (w) => void w.ustring("/"));
      assert.equal(synced.err, 0);
      const read = await client.request(OpCode.getData, (w) => void w.ustring("/paddock").bool(false));
      assert.equal(new TextDecoder().decode(read.body.buffer()!), "v2");
      // The follower's PING answers carry its client's session.
      await leader.waitFor(() => leader.touched.has(client.sessionId), "a PING answer naming the client's session");
      await client.request(OpCode.closeSession, () => {});
      await leader.waitFor(() => leader.tree.getNode("/written-through-zookeeper") === undefined, "the ephemeral to go with its session");
      assert.deepEqual(leader.forwarded, [OpCode.createSession, OpCode.create, OpCode.setData, OpCode.sync, OpCode.closeSession]);
      assert.equal(leader.proposals, 4);
      // ZooKeeper checked Paddock's digest against its own tree at every commit...
      assert.doesNotMatch(peer.output(), /Digests are not matching|digest mismatch/i);
      // ...and it does notice a wrong one: the control.
      leader.stop();
      await serving;
      await leader.propose(learner, { type: OpCode.setData, path: "/paddock", data: new Uint8Array([9]), version: 2 }, 1n);
      await peer.waitForLog(/Digests are not matching/, STEP_MS);
      await peer.waitForLog(/Getting a snapshot from leader 0x100000002/, 1000);
    } catch (error) {
      if (process.env.PADDOCK_DEBUG_PEER) console.log(peer.output().slice(-20000));
      throw error;
    } finally {
      clearInterval(pinger);
      leader.stop();
      await serving;
    }
  });
});

async function connectWhenServing(port: number): Promise<RawSession> {
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    try {
      return await RawSession.connect("127.0.0.1", port, { timeoutMs: 4000 });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function nextNotificationWhere(conn: PeerConnection<ElectionItem>, accept: (n: Notification) => boolean, what: string): Promise<Notification> {
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    const vote = await nextNotification(conn, what);
    if (accept(vote)) return vote;
    assert.ok(Date.now() < deadline, `no ${what}`);
  }
}

/**
 * The leader side, by hand: a Paddock tree, Paddock's prep for forwarded requests, proposals
 * carrying Paddock's digest, a commit after each ACK, SYNC answers and PING bookkeeping.
 */
class FakeLeader {
  readonly tree = new DataTree();
  readonly outstanding = new OutstandingChanges();
  readonly forwarded: number[] = [];
  readonly touched = new Set<bigint>();
  proposals = 0;
  #counter = 0n;
  #stopped = false;
  readonly #epoch: bigint;

  constructor(epoch: bigint) {
    this.#epoch = epoch;
  }

  get lastZxid(): bigint {
    return this.tree.lastProcessedZxid;
  }

  #nextZxid(): bigint {
    return makeZxid(this.#epoch, ++this.#counter);
  }

  /** A txn applied before the snapshot is taken (the history the snapshot carries). */
  write(txn: Parameters<typeof applyTxn>[2]): void {
    applyTxn(this.tree, { sessionId: 0n, cxid: 0, zxid: this.#nextZxid(), time: BigInt(Date.now()), type: txn.type }, txn);
  }

  async waitFor(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + STEP_MS;
    while (!done()) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Handles the follower's packets until stopped. */
  async serve(learner: PeerConnection<QuorumPacket>): Promise<void> {
    while (!this.#stopped) {
      let packet: QuorumPacket;
      try {
        packet = await learner.next(200, "a packet");
      } catch (error) {
        if (/no a packet/.test((error as Error).message)) continue;
        if (this.#stopped) return;
        throw error;
      }
      if (packet.type === PacketType.PING) {
        for (const touch of readPingTouches(packet)) this.touched.add(touch.sessionId);
      } else if (packet.type === PacketType.REQUEST) {
        await this.#request(learner, packet);
      } else if (packet.type !== PacketType.ACK) {
        throw new Error(`unexpected packet ${packet.type}`);
      }
    }
  }

  /** The leader's own write (no client), with its digest off by `digestError`; call it with serve stopped. */
  async propose(learner: PeerConnection<QuorumPacket>, txn: Parameters<typeof applyTxn>[2], digestError: bigint): Promise<void> {
    const zxid = this.#nextZxid();
    const header = { sessionId: 0n, cxid: 0, zxid, time: BigInt(Date.now()), type: txn.type };
    applyTxn(this.tree, header, txn);
    await this.#commit(learner, encodeTxn(header, txn, { version: DIGEST_VERSION, treeDigest: this.tree.digest + digestError }), zxid);
  }

  async #request(learner: PeerConnection<QuorumPacket>, packet: QuorumPacket): Promise<void> {
    const request = readRequest(packet);
    this.forwarded.push(request.type);
    if (request.type === OpCode.sync) {
      learner.send(encodeQuorumPacket(bareQuorumPacket(PacketType.SYNC, 0n)));
      return;
    }
    const zxid = this.#nextZxid();
    const prepared = prepWrite(
      { tree: this.tree, outstanding: this.outstanding, extendedTypesEnabled: false, checkSession: () => {} },
      { sessionId: request.sessionId, cxid: request.cxid, type: request.type, body: new JuteReader(request.request), authIds: request.authinfo },
      zxid,
      BigInt(Date.now()),
    );
    assert.ok(!("malformed" in prepared), `prep refused op ${request.type}`);
    applyTxn(this.tree, prepared.header, prepared.txn);
    this.outstanding.applied(zxid);
    await this.#commit(learner, encodeTxn(prepared.header, prepared.txn, { version: DIGEST_VERSION, treeDigest: this.tree.digest }), zxid);
  }

  /** PROPOSAL, the follower's ACK (PINGs answered meanwhile are noted), COMMIT. */
  async #commit(learner: PeerConnection<QuorumPacket>, bytes: Uint8Array, zxid: bigint): Promise<void> {
    learner.send(encodeQuorumPacket(txnPacket(PacketType.PROPOSAL, zxid, bytes)));
    this.proposals++;
    for (;;) {
      const reply = await learner.next(STEP_MS, `the ACK of 0x${zxid.toString(16)}`);
      if (reply.type === PacketType.PING) for (const touch of readPingTouches(reply)) this.touched.add(touch.sessionId);
      else if (reply.type === PacketType.ACK && reply.zxid === zxid) break;
      else throw new Error(`expected the ACK of 0x${zxid.toString(16)}, got packet ${reply.type} 0x${reply.zxid.toString(16)}`);
    }
    learner.send(encodeQuorumPacket(bareQuorumPacket(PacketType.COMMIT, zxid)));
    assert.equal(epochOf(zxid), this.#epoch);
  }
}
