// The AdminServer of an ensemble member. ZooKeeper 3.9.3 runs as a 3-server ensemble
// (QuorumPeerMain); its leader's and a follower's answers are the oracle.
// 1. The quorum commands Paddock renders from a ServerView's quorum part (what the ensemble will
//    fill in) have exactly the keys and types ZooKeeper's leader and follower answer with.
// 2. Every member of a 3-member Paddock ensemble answers every command with the keys and types
//    ZooKeeper's member in the same role (leader or follower) answers with.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Hono } from "hono";
import { startServer, type RunningServer } from "../core/server/start_server.ts";
import type { QuorumView } from "../core/server/server_view.ts";
import { zkServerView } from "../core/server/zk_server_view.ts";
import { adminRoutes } from "../plugins/admin/admin_routes.ts";
import type { HttpBindings } from "../plugins/http/serve.ts";
import { jsonShape } from "./support/json_shape.ts";
import { startPaddockEnsemble } from "./support/paddock_ensemble.ts";
import { mntrKeyNotKept } from "../core/server/monitor.ts";
import { startZooKeeper393Ensemble, type ZooKeeperWithAdmin, zookeeper393Missing } from "./support/zookeeper_http.ts";

const skip: string | false = zookeeper393Missing() ?? false;
const TIMEOUT_MS = 240_000;
const QUORUM_COMMANDS = ["lead", "voting_view", "zabstate", "obsr", "orst", "srvr", "conf", "isro"];
const DATA_KEYED = new Set(["current_config"]);
/**
 * Also left out: the mntr figures Paddock does not measure (monitor.ts declares them).
 * ZooKeeper's keyed summaries (SummarySet): bytes written per top-level znode, and the leader's
 * queue of packets per learner sid. Their keys are data; Paddock does not keep them.
 */
const KEYED_SUMMARY = /_(read|write)_per_namespace$|^(avg|min|max|cnt|sum|p50|p95|p99|p999)_\d+_learner_handler_qp_(size|time_ms)$/;

function shapeOf(text: string): ReturnType<typeof jsonShape> {
  const shape = jsonShape(text, DATA_KEYED);
  if (typeof shape !== "object" || Array.isArray(shape)) return shape;
  return Object.fromEntries(Object.entries(shape).filter(([key]) => !KEYED_SUMMARY.test(key) && !mntrKeyNotKept(key)));
}

let ensemble: ZooKeeperWithAdmin[] = [];
let leader: ZooKeeperWithAdmin | undefined;
let follower: ZooKeeperWithAdmin | undefined;
let embedded: RunningServer | undefined;

before(async () => {
  if (skip) return;
  ensemble = await startZooKeeper393Ensemble(3);
  for (const member of ensemble) {
    const lead = JSON.parse(await (await fetch(`${member.adminUrl}/lead`)).text());
    if (lead.is_leader === true) leader = member;
    else follower = member;
  }
  embedded = await startServer({ clientPort: 0, inMemory: true, serverId: 2 });
}, { timeout: TIMEOUT_MS });

after(async () => {
  await Promise.all(ensemble.map((m) => m.stop()));
  await embedded?.close();
}, { timeout: TIMEOUT_MS });

/** A quorum part as an ensemble member fills it in: member 2 of three, following 3 or leading. */
function quorumOf(isLeader: boolean): QuorumView {
  const members = [1, 2, 3].map((id) => ({ id, quorum: `127.0.0.1:${3880 + id}`, election: `127.0.0.1:${4880 + id}`, client: `127.0.0.1:${2180 + id}` }));
  return {
    leader: () => ({ isLeader, leaderId: isLeader ? 2 : 3, leaderIp: "127.0.0.1" }),
    votingView: () =>
      new Map(members.map((m) => [m.id, { serverAddresses: [m.quorum], electionAddresses: [m.election], clientAddress: m.client, learnerType: "participant" as const }])),
    zabState: () => ({
      myid: 2,
      isLeader,
      quorumAddresses: [members[1]!.quorum],
      electionAddresses: [members[1]!.election],
      clientAddress: members[1]!.client,
      voting: true,
      zabstate: "broadcast",
    }),
    observers: () => ({ syncedObservers: 0, observers: [] }),
    configExtras: () => ({}),
    ...(isLeader ? { proposalStats: () => ({ lastBufferSize: -1, minBufferSize: -1, maxBufferSize: -1 }) } : {}),
    resetObserverStats: () => {},
  };
}

async function paddockAnswer(isLeader: boolean, name: string): Promise<string> {
  const view = zkServerView(embedded!.server, { quorum: quorumOf(isLeader) });
  const app = new Hono<{ Bindings: HttpBindings }>().route("/", adminRoutes(view, view, {
    commandUrl: "/commands", rateLimiterIntervalMs: 300_000, snapshotEnabled: true, restoreEnabled: true, restoreMaxBytes: 1 << 20,
  }));
  const response = await app.fetch(new Request(`http://paddock/commands/${name}`), { remoteAddress: "127.0.0.1", keepOpen: () => {} });
  return await response.text();
}

for (const role of ["leader", "follower"] as const) {
  for (const name of QUORUM_COMMANDS) {
    test(`ensemble ${role} ${name}: the quorum view renders ZooKeeper 3.9.3's keys and types`, { skip, timeout: TIMEOUT_MS }, async () => {
      const member = role === "leader" ? leader : follower;
      assert.ok(member !== undefined, `no ${role} in the ZooKeeper ensemble`);
      const expected = await (await fetch(`${member.adminUrl}/${name}`)).text();
      const actual = await paddockAnswer(role === "leader", name);
      assert.deepEqual(jsonShape(actual, DATA_KEYED), jsonShape(expected, DATA_KEYED), `paddock:\n${actual}\nzookeeper:\n${expected}`);
    });
  }
}

test("ensemble members: every AdminServer command answers as ZooKeeper 3.9.3's member in the same role does", { skip, timeout: TIMEOUT_MS }, async () => {
  const members = await startPaddockEnsemble(3, { admin: true });
  try {
    const roles = await Promise.all(members.map(async (m) => JSON.parse(await (await fetch(`${m.adminUrl}/lead`)).text()).is_leader === true));
    assert.equal(roles.filter(Boolean).length, 1, "one Paddock member leads");
    for (const [i, mine] of members.entries()) {
      const theirs = roles[i] ? leader! : follower!;
      for (const name of [...QUORUM_COMMANDS, "mntr", "stat", "cons", "dump", "wchs", "wchc", "wchp", "dirs", "ruok"]) {
        const [actual, expected] = [await (await fetch(`${mine.adminUrl}/${name}`)).text(), await (await fetch(`${theirs.adminUrl}/${name}`)).text()];
        assert.deepEqual(shapeOf(actual), shapeOf(expected), `${roles[i] ? "leader" : "follower"} ${name}\npaddock:\n${actual}\nzookeeper:\n${expected}`);
      }
    }
  } finally {
    await Promise.all(members.map((m) => m.stop()));
  }
});
