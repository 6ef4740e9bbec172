// Hostile peers on the election and quorum ports of a running Paddock ensemble. Nothing on those
// ports is authenticated in ZooKeeper either (without quorum SASL), so a member must take what
// anyone sends: garbage, lying lengths, unknown sids, a junk-sending peer that claims a member's
// sid, a learner that never finishes its handshake, connections that say nothing at all. Each
// is refused with a log line and its connection closed (the silent ones after ZooKeeper's
// timeouts: tickTime * syncLimit on the election port, tickTime * initLimit on the quorum port),
// and meanwhile the ensemble keeps its leader, keeps acknowledging a client's pipelined writes,
// elects again when a member restarts, and loses no acknowledged write.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { after, test } from "node:test";
import { type Ensemble, MemberKind, ServingMode, startEnsemble } from "./support/ensemble.ts";
import { ProcessState } from "./support/member_process.ts";
import { PipelinedWriter, servedChildren, sleep, waitForSameZxid } from "./support/ensemble_writes.ts";

const TIMING = { tickTimeMs: 200, initLimit: 10, syncLimit: 5 };
/** How long a member may take to hang up on a peer it refuses (generous: the machine is shared). */
const HANG_UP_MS = 15_000;

const ensembles: Ensemble[] = [];
const sockets: Socket[] = [];
after(async () => {
  for (const s of sockets) s.destroy();
  for (const e of ensembles) await e.stop();
});

/** A raw TCP connection to a member's port that records what it receives and when it closes. */
class Peer {
  readonly socket: Socket;
  readonly received: Buffer[] = [];
  readonly closed: Promise<void>;
  #isClosed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    sockets.push(socket);
    socket.on("data", (chunk) => this.received.push(chunk));
    socket.on("error", () => {});
    this.closed = new Promise((resolve) => socket.on("close", () => {
      this.#isClosed = true;
      resolve();
    }));
  }

  static open(port: number): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("error", reject);
      socket.once("connect", () => resolve(new Peer(socket)));
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  send(bytes: Uint8Array): void {
    if (!this.#isClosed) this.socket.write(bytes);
  }

  /** Resolves once the member hung up; fails the test if it did not within `ms`. */
  async hungUp(what: string, ms = HANG_UP_MS): Promise<void> {
    const timer = sleep(ms).then(() => "timeout" as const);
    const outcome = await Promise.race([this.closed.then(() => "closed" as const), timer]);
    assert.equal(outcome, "closed", `the member kept the connection of ${what} open for ${ms} ms`);
  }

  /** Waits `ms` and checks the connection is still open. */
  async stillOpen(what: string, ms = 1_000): Promise<void> {
    await sleep(ms);
    assert.equal(this.#isClosed, false, `the member hung up on ${what}`);
  }
}

/** Big-endian writer for hand-made frames (written here from ZooKeeper's formats, not from Paddock's encoders). */
class Bytes {
  readonly #parts: Buffer[] = [];
  int(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.#parts.push(b);
    return this;
  }
  long(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.#parts.push(b);
    return this;
  }
  raw(b: Uint8Array): this {
    this.#parts.push(Buffer.from(b));
    return this;
  }
  /** A jute buffer or string: int length, then the bytes. */
  buffer(b: Uint8Array): this {
    return this.int(b.length).raw(b);
  }
  get bytes(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

/** QuorumCnxManager's initial message, protocol version 2 (-65535): sid and "host:port" addresses. */
function electionHandshake(sid: bigint, address: string): Buffer {
  return new Bytes().long(-65535n).long(sid).buffer(Buffer.from(address)).bytes;
}

/** A QuorumPacket: int type, long zxid, buffer data, vector<Id> authinfo (-1: null). */
function quorumPacket(type: number, zxid: bigint, data: Uint8Array | null): Buffer {
  const b = new Bytes().int(type).long(zxid);
  if (data === null) b.int(-1);
  else b.buffer(data);
  return b.int(-1).bytes;
}

const FOLLOWERINFO = 11;
const PING = 5;
const LEADERINFO = 17;

function randomBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function logOf(ensemble: Ensemble, id: number): string {
  return readFileSync(ensemble.member(id).process.logPath, "utf8");
}

test("hostile peers on the election and quorum ports: refused and logged, while the ensemble serves on and loses nothing", { timeout: 240_000 }, async () => {
  const ensemble = await startEnsemble({ participants: [MemberKind.paddock, MemberKind.paddock, MemberKind.paddock], proxies: false, timing: TIMING });
  ensembles.push(ensemble);
  const before = await ensemble.waitForQuorum();
  const leader = before.find((s) => s.mode === ServingMode.leader)!.id;
  const followers = before.filter((s) => s.mode === ServingMode.follower).map((s) => s.id);
  const writer = await PipelinedWriter.start(ensemble.connectString(), "/hostile", { window: 16 });
  await writer.waitForAcks(200);

  const ids = ensemble.members.map((m) => m.id);
  const electionPort = (id: number) => ensemble.member(id).ports.electionPort;
  const quorumPort = (id: number) => ensemble.member(id).ports.quorumPort;

  // The election port of every member.
  for (const id of ids) {
    const garbage = await Peer.open(electionPort(id));
    garbage.send(randomBytes(4096, id));
    await garbage.hungUp(`random bytes to member ${id}'s election port`);

    const longAddress = await Peer.open(electionPort(id));
    longAddress.send(new Bytes().long(-65535n).long(2n).int(0x7fffffff).raw(randomBytes(64, 7)).bytes);
    await longAddress.hungUp(`a handshake whose address claims 2 GiB (member ${id})`);

    const unknownSid = await Peer.open(electionPort(id));
    unknownSid.send(electionHandshake(99n, "127.0.0.1:1"));
    await unknownSid.hungUp(`a handshake from sid 99, which is in nobody's config (member ${id})`);

    const silent = await Peer.open(electionPort(id));
    await silent.hungUp(`a connection that never sends its handshake (member ${id})`, TIMING.tickTimeMs * TIMING.syncLimit + HANG_UP_MS);
  }

  // A peer that claims the sid of a member above the one it reaches is kept, as ZooKeeper keeps
  // it (the larger sid's connection survives): its malformed notification is skipped, a frame
  // length out of range closes it, and the real member is reached again afterwards.
  const victim = Math.min(...ids);
  const claimed = Math.max(...ids);
  const impostor = await Peer.open(electionPort(victim));
  impostor.send(electionHandshake(BigInt(claimed), `127.0.0.1:${electionPort(claimed)}`));
  impostor.send(new Bytes().buffer(randomBytes(5, 11)).bytes);
  await impostor.stillOpen(`a 5-byte notification from 'member ${claimed}'`);
  impostor.send(new Bytes().int(600 * 1024).raw(randomBytes(1024, 12)).bytes);
  await impostor.hungUp("an election frame of 600 KiB (over QuorumCnxManager's 512 KiB)");

  // The leader's quorum port.
  const quorumGarbage = await Peer.open(quorumPort(leader));
  quorumGarbage.send(randomBytes(4096, 21));
  await quorumGarbage.hungUp("random bytes to the leader's quorum port");

  const hugeData = await Peer.open(quorumPort(leader));
  hugeData.send(new Bytes().int(FOLLOWERINFO).long(0n).int(0x7fffffff).raw(randomBytes(256, 22)).bytes);
  await hugeData.hungUp("a FOLLOWERINFO whose data claims 2 GiB");

  const notInfo = await Peer.open(quorumPort(leader));
  notInfo.send(quorumPacket(PING, 0n, null));
  await notInfo.hungUp("a first packet that is not FOLLOWERINFO or OBSERVERINFO");

  // A learner with a sid nobody configured that stops after FOLLOWERINFO: the leader answers it as
  // ZooKeeper does (LEADERINFO), it never counts toward a quorum, and it is dropped once initLimit
  // ticks pass without its ACKEPOCH.
  const stalled = await Peer.open(quorumPort(leader));
  stalled.send(quorumPacket(FOLLOWERINFO, 0n, new Bytes().long(99n).int(0x10000).long(0n).bytes));
  await stalled.hungUp("a learner that never sends ACKEPOCH", TIMING.tickTimeMs * TIMING.initLimit + HANG_UP_MS);
  const answer = Buffer.concat(stalled.received);
  if (answer.length >= 4) assert.equal(answer.readInt32BE(0), LEADERINFO, "the leader's first packet to a learner");

  const silentLearner = await Peer.open(quorumPort(leader));
  await silentLearner.hungUp("a quorum connection that never sends FOLLOWERINFO", TIMING.tickTimeMs * TIMING.initLimit + HANG_UP_MS);

  // A follower is not leading: its quorum port hangs up on a would-be learner.
  const toFollower = await Peer.open(quorumPort(followers[0]!));
  toFollower.send(quorumPacket(FOLLOWERINFO, 0n, new Bytes().long(99n).int(0x10000).long(0n).bytes));
  await toFollower.hungUp(`a FOLLOWERINFO sent to follower ${followers[0]}`);

  // Many connections at once, half-open: none of them stops the members serving.
  const flood = await Promise.all(ids.flatMap((id) => Array.from({ length: 20 }, (_, i) => Peer.open(i % 2 === 0 ? electionPort(id) : quorumPort(id)))));
  for (const [i, p] of flood.entries()) p.send(randomBytes(3, 100 + i));
  await writer.waitForAcks(200);
  for (const p of flood) await p.hungUp("a half-open connection of the flood", TIMING.tickTimeMs * TIMING.initLimit + HANG_UP_MS);

  // The ensemble never noticed: the same leader, every member up, writes acknowledged throughout.
  const during = await ensemble.waitForQuorum();
  assert.equal(during.find((s) => s.mode === ServingMode.leader)?.id, leader, "the leader did not change");
  for (const s of during) assert.equal(s.process, ProcessState.running, `member ${s.id} is running`);
  await writer.waitForAcks(200);

  // Election connections still work: the victim of the impostor is restarted and elects back in.
  await ensemble.kill(victim);
  await ensemble.restart(victim);
  await ensemble.waitForQuorum({ timeoutMs: 60_000 });
  await writer.waitForAcks(200);

  const report = await writer.stop();
  assert.deepEqual(report.refused, [], "no create was refused");
  assert.ok(!report.states.includes("expired"), `the session survived: ${report.states.join(" ")}`);
  await waitForSameZxid(ensemble);
  for (const id of ids) {
    const served = await servedChildren(ensemble.member(id).ports.clientPort, "/hostile");
    const missing = [...report.acked].filter((name) => !served.has(name));
    assert.deepEqual(missing.slice(0, 5), [], `member ${id} has every acknowledged write (${report.acked.size})`);
  }

  // Each refusal left a line saying why.
  for (const id of ids) {
    const log = logOf(ensemble, id);
    for (const why of [/refused: election frame: frame length \d+ is outside/, /refused: election handshake: unreasonable buffer length 2147483647/, /refused: sid 99 is not in the configuration/, /refused: no handshake within 1000 ms/]) {
      assert.match(log, new RegExp(`election connection from \\S+ ${why.source}`), `member ${id}'s log`);
    }
  }
  assert.match(logOf(ensemble, victim), new RegExp(`election connection of ${claimed} closed: election frame: frame length 614400 is outside`), "the oversized frame was logged");
  const leaderLog = logOf(ensemble, leader);
  for (const why of [/learner link closed: bad data from \S+:/, /first packet 5 is not FOLLOWERINFO or OBSERVERINFO/, /learner 99 \(observer, not in the current config\) connected/, /learner 99 silent for \d+ ms/, /a quorum connection that sent no FOLLOWERINFO or OBSERVERINFO silent for \d+ ms/]) {
    assert.match(leaderLog, why, "the leader's log");
  }
});
