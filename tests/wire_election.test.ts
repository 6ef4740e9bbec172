// The election port's formats on their own: the initial message in its three forms, framing,
// notifications in every length 3.9.3 reads, the config string as QuorumMaj prints and parses
// it, and bad input as a WireError. tests/zk_election_oracle.test.ts talks to a real 3.9.3 peer.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeNotification,
  ElectionStreamParser,
  encodeInitialMessage,
  encodeNotification,
  frameElectionMessage,
  keepsConnection,
  type Notification,
  PROTOCOL_VERSION_V1,
  PROTOCOL_VERSION_V2,
  ServerState,
} from "../core/zab/wire/election_wire.ts";
import { formatQuorumConfig, parseQuorumConfig, type QuorumConfig } from "../core/zab/wire/quorum_config.ts";
import { WireError, WireErrorCode } from "../core/zab/wire/wire_error.ts";
import { SeededRandom } from "./support/seeded_random.ts";

const CONFIG: QuorumConfig = {
  servers: [
    { sid: 3n, addresses: [{ host: "127.0.0.1", quorumPort: 2890, electionPort: 3890 }], role: "participant" },
    { sid: 1n, addresses: [{ host: "zk1.example", quorumPort: 2888, electionPort: 3888 }], role: "participant", clientAddress: { host: "0.0.0.0", port: 2181 } },
    { sid: 17n, addresses: [{ host: "::1", quorumPort: 2889, electionPort: 3889 }], role: "observer", clientAddress: { host: "10.0.0.1", port: 2182 } },
    {
      sid: 2n,
      addresses: [{ host: "10.1.0.2", quorumPort: 2888, electionPort: 3888 }, { host: "10.0.0.2", quorumPort: 2888, electionPort: 3888 }],
      role: "participant",
    },
  ],
  version: 0x100000003n,
};

test("the config string is QuorumMaj's: HashMap order of sids, sorted addresses, the role, hex version", () => {
  const text = formatQuorumConfig(CONFIG);
  assert.equal(
    text,
    [
      // Long keys 1, 2, 3, 17 in a 16-bucket HashMap: 17 lands in bucket 1, after 1.
      "server.1=zk1.example:2888:3888:participant;0.0.0.0:2181",
      "server.17=[::1]:2889:3889:observer;10.0.0.1:2182",
      "server.2=10.0.0.2:2888:3888|10.1.0.2:2888:3888:participant",
      "server.3=127.0.0.1:2890:3890:participant",
      "version=100000003",
    ].join("\n"),
  );
  const parsed = parseQuorumConfig(text);
  assert.equal(parsed.version, CONFIG.version);
  assert.equal(formatQuorumConfig(parsed), text);
  assert.deepEqual(parsed.servers.find((s) => s.sid === 1n)?.clientAddress, { host: "0.0.0.0", port: 2181 });
});

test("config parsing follows ZooKeeper: zoo.cfg spellings in, errors named", () => {
  const parsed = parseQuorumConfig("# comment\nserver.5 = h:1:2;3000\n  server.6=h:4:5:OBSERVER\nversion=a\n");
  assert.deepEqual(parsed.servers.map((s) => [s.sid, s.role, s.clientAddress]), [[5n, "participant", { host: "0.0.0.0", port: 3000 }], [6n, "observer", undefined]]);
  assert.equal(parsed.version, 10n);
  for (const [bad, why] of [
    ["server.1=h:1:1", /must differ/],
    ["server.1=h:1", /host:port:port/],
    ["server.x=h:1:2", /not a number/],
    ["server.1=h:1:2:boss", /peertype/],
    ["server.1=h:1:70000", /out of range/],
    ["group.1=1:2", /hierarchical/],
    ["clientPort=2181", /unrecognised/],
    ["version=12", /no servers/],
    ["server.1=[::1:1:2", /no matching/],
  ] as const) {
    assert.throws(() => parseQuorumConfig(bad), (e: unknown) => e instanceof WireError && why.test(e.message), bad);
  }
});

test("the initial message: V1 (one address), V2 (several), and the pre-3.5 bare sid", () => {
  const cases = [
    { protocolVersion: PROTOCOL_VERSION_V1, sid: 3n, electionAddresses: [{ host: "127.0.0.1", port: 3888 }] },
    { protocolVersion: PROTOCOL_VERSION_V2, sid: 4n, electionAddresses: [{ host: "10.0.0.1", port: 3888 }, { host: "fe80::1", port: 3889 }] },
    { protocolVersion: null, sid: 5n, electionAddresses: [] },
  ];
  for (const message of cases) {
    const bytes = encodeInitialMessage(message);
    for (const size of [bytes.length, 1, 3]) {
      const parser = new ElectionStreamParser({ expectHandshake: true });
      const items = [];
      for (let at = 0; at < bytes.length; at += size) {
        parser.push(bytes.subarray(at, at + size));
        for (let item = parser.next(); item !== null; item = parser.next()) items.push(item);
      }
      assert.deepEqual(items, [{ kind: "handshake", message }]);
    }
  }
  const v1 = encodeInitialMessage(cases[0]!);
  assert.deepEqual([...v1.subarray(0, 20)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 14]);
  assert.equal(new TextDecoder().decode(v1.subarray(20)), "127.0.0.1:3888");
  assert.equal(new TextDecoder().decode(encodeInitialMessage(cases[1]!).subarray(20)), "10.0.0.1:3888|[fe80::1]:3889");
});

test("handshakes ZooKeeper refuses are WireErrors; wildcard addresses are dropped", () => {
  const message = (version: bigint, length: number, text: string) => {
    const body = new TextEncoder().encode(text);
    const out = new Uint8Array(20 + body.length);
    const v = new DataView(out.buffer);
    v.setBigInt64(0, version);
    v.setBigInt64(8, 2n);
    v.setInt32(16, length);
    out.set(body, 20);
    return out;
  };
  const parse = (bytes: Uint8Array) => {
    const parser = new ElectionStreamParser({ expectHandshake: true });
    parser.push(bytes);
    return parser.next();
  };
  assert.throws(() => parse(message(-12345n, 4, "h:1")), /unrecognized protocol version -12345/);
  assert.throws(() => parse(message(PROTOCOL_VERSION_V1, 0, "")), /unreasonable buffer length 0/);
  assert.throws(() => parse(message(PROTOCOL_VERSION_V1, 4096, "h:1")), /unreasonable buffer length 4096/);
  assert.throws(() => parse(message(PROTOCOL_VERSION_V1, 6, "h:1:22")), /badly formed/);
  assert.throws(() => parse(message(PROTOCOL_VERSION_V1, 3, "h:x")), /bad port/);
  assert.equal(parse(message(PROTOCOL_VERSION_V1, 100, "h:1")), null, "waits for the announced bytes");
  const wildcard = parse(message(PROTOCOL_VERSION_V2, 14, "0.0.0.0:1|h:2|"));
  assert.deepEqual(wildcard, { kind: "handshake", message: { protocolVersion: PROTOCOL_VERSION_V2, sid: 2n, electionAddresses: [{ host: "h", port: 2 }] } });
});

const VOTE: Notification = {
  state: ServerState.LOOKING,
  leader: 3n,
  zxid: 0x200000005n,
  electionEpoch: 7n,
  peerEpoch: 2n,
  version: 2,
  config: new TextEncoder().encode(formatQuorumConfig(CONFIG)),
};

test("notifications: 3.9.3's version-2 form round-trips; the 28- and 40-byte forms read as ZooKeeper reads them", () => {
  const bytes = encodeNotification(VOTE);
  assert.equal(bytes.length, 44 + VOTE.config!.length);
  assert.deepEqual(decodeNotification(bytes), VOTE);
  const forty = bytes.slice(0, 40);
  new DataView(forty.buffer).setInt32(36, 1);
  assert.deepEqual(decodeNotification(forty), { ...VOTE, version: 0, config: null });
  assert.deepEqual(decodeNotification(bytes.slice(0, 28)), { ...VOTE, peerEpoch: 2n, version: 0, config: null });
  const versionOne = bytes.slice(0, 44);
  new DataView(versionOne.buffer).setInt32(36, 1);
  assert.deepEqual(decodeNotification(versionOne), { ...VOTE, version: 1, config: null });
  for (const state of [ServerState.FOLLOWING, ServerState.LEADING, ServerState.OBSERVING]) {
    assert.equal(decodeNotification(encodeNotification({ ...VOTE, state })).state, state);
  }
});

test("short, lying and unknown-state notifications are WireErrors", () => {
  const bytes = encodeNotification(VOTE);
  assert.throws(() => decodeNotification(bytes.slice(0, 27)), /fewer than 28/);
  assert.throws(() => decodeNotification(bytes.slice(0, 36)), /no version/);
  const lying = bytes.slice();
  new DataView(lying.buffer).setInt32(40, 1_000_000);
  assert.throws(() => decodeNotification(lying), /config length 1000000/);
  const negative = bytes.slice();
  new DataView(negative.buffer).setInt32(40, -1);
  assert.throws(() => decodeNotification(negative), /config length -1/);
  const state = bytes.slice();
  new DataView(state.buffer).setInt32(0, 4);
  assert.throws(() => decodeNotification(state), /unknown state 4/);
});

test("framing: int length then bytes; length 0 or over 512 KiB is refused", () => {
  const vote = encodeNotification(VOTE);
  const stream = new Uint8Array([...encodeInitialMessage({ protocolVersion: null, sid: 1n, electionAddresses: [] }), ...frameElectionMessage(vote), ...frameElectionMessage(vote)]);
  const random = new SeededRandom(3);
  for (let round = 0; round < 10; round++) {
    const parser = new ElectionStreamParser({ expectHandshake: true });
    const items = [];
    for (let at = 0; at < stream.length;) {
      const end = Math.min(stream.length, at + 1 + random.int(round === 0 ? 1 : 50));
      parser.push(stream.subarray(at, end));
      at = end;
      for (let item = parser.next(); item !== null; item = parser.next()) items.push(item);
    }
    assert.deepEqual(items.map((i) => i.kind), ["handshake", "notification", "notification"]);
    assert.deepEqual(decodeNotification((items[1] as { bytes: Uint8Array }).bytes), VOTE);
  }
  const zero = new ElectionStreamParser({ expectHandshake: false });
  assert.throws(() => zero.push(new Uint8Array([0, 0, 0, 0])), (e: unknown) => e instanceof WireError && e.code === WireErrorCode.malformed);
  const huge = new ElectionStreamParser({ expectHandshake: false });
  assert.throws(() => huge.push(new Uint8Array([0, 8, 0, 1])), (e: unknown) => e instanceof WireError && e.code === WireErrorCode.tooLarge);
  assert.throws(() => frameElectionMessage(new Uint8Array(0)), RangeError);
});

test("which connection survives: only the one from the larger sid", () => {
  assert.equal(keepsConnection("acceptor", 3n, 1n), false, "3 accepts from 1: closes and dials 1");
  assert.equal(keepsConnection("acceptor", 1n, 3n), true);
  assert.equal(keepsConnection("connector", 3n, 1n), true, "3 dials 1: keeps it");
  assert.equal(keepsConnection("connector", 1n, 3n), false);
  assert.equal(keepsConnection("acceptor", 2n, 2n), false);
});

test("fuzz: random election streams give items or a WireError", () => {
  const random = new SeededRandom(77);
  for (let round = 0; round < 3000; round++) {
    const input = new Uint8Array(random.int(120)).map(() => random.int(256));
    if (round % 2 === 0 && input.length >= 8) input.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, round % 4 === 0 ? 0 : 1]);
    const parser = new ElectionStreamParser({ expectHandshake: round % 5 !== 0 });
    try {
      parser.push(input);
      for (let item = parser.next(), guard = 0; item !== null; item = parser.next(), guard++) {
        assert.ok(guard <= input.length);
        if (item.kind === "notification") {
          try {
            decodeNotification(item.bytes);
          } catch (error) {
            assert.ok(error instanceof WireError);
          }
        }
      }
    } catch (error) {
      assert.ok(error instanceof WireError, `round ${round}: ${String(error)}`);
    }
  }
});
