// Paddock's recipes and Apache Curator's in one lock and one election, against a real ZooKeeper
// and against Paddock: the node layouts must agree for the two to exclude each other / elect one leader.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "../mod.ts";
import { oneLeader } from "./support/election_watch.ts";
import {
  compileCuratorRecipes, curatorCommand, curatorSkipReason, type Participant, startParticipant, workerCommand,
} from "./support/recipe_processes.ts";
import { paddockAvailable, type ServerHandle, startPaddock, startZooKeeper, zookeeperSkipReason } from "./support/servers.ts";

const TIMEOUT_MS = 240_000;
const SESSION_TIMEOUT_MS = 2_000;
const ITERATIONS = 10;

const targets = [
  { name: "ZooKeeper", start: startZooKeeper, skip: curatorSkipReason() || zookeeperSkipReason() },
  { name: "Paddock", start: startPaddock, skip: curatorSkipReason() || (paddockAvailable() ? false : "Paddock server entry point missing") },
] as const;

async function withServer(start: () => Promise<ServerHandle>, body: (server: ServerHandle) => Promise<void>): Promise<void> {
  const [server] = await Promise.all([start(), compileCuratorRecipes()]);
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

for (const target of targets) {
  test(`${target.name}: Paddock Mutex and Curator InterProcessMutex on one path exclude each other`, { skip: target.skip, timeout: TIMEOUT_MS }, async () => {
    await withServer(target.start, async (server) => {
      const cs = server.connectString;
      {
        await using client = createClient(cs);
        await client.create("/interop");
        await client.create("/interop/counter", "0");
      }
      const args = ["/interop/mutex", "/interop/counter", "/interop/holders", String(ITERATIONS)];
      const workers: Participant[] = [
        startParticipant(workerCommand(["mutex", cs, ...args])),
        startParticipant(curatorCommand(["mutex", cs, ...args])),
        startParticipant(workerCommand(["mutex", cs, ...args])),
        startParticipant(curatorCommand(["mutex", cs, ...args])),
      ];
      const codes = await Promise.all(workers.map((w) => w.exited));
      codes.forEach((code, i) => assert.equal(code, 0, `participant ${i} exited with ${code}\n${workers[i]!.output()}`));
      for (const w of workers) {
        assert.deepEqual(w.lines.filter((l) => l.startsWith("OVERLAP") || l.startsWith("FAILED")), [], `a holder met another holder:\n${w.output()}`);
      }
      await using client = createClient(cs);
      const { data } = await client.getData("/interop/counter");
      assert.equal(new TextDecoder().decode(data ?? undefined), String(4 * ITERATIONS), "every increment of both implementations counted once");
    });
  });

  test(`${target.name}: Paddock LeaderLatch and Curator LeaderLatch elect one leader and fail over both ways`, { skip: target.skip, timeout: TIMEOUT_MS }, async () => {
    await withServer(target.start, async (server) => {
      const cs = server.connectString;
      const path = "/interop/election";
      const participants = new Map<string, Participant>();
      const dead = new Set<string>();
      const join = async (id: string, impl: "curator" | "paddock") => {
        const args = ["latch", cs, path, id, String(SESSION_TIMEOUT_MS)];
        const p = startParticipant(impl === "curator" ? curatorCommand(args) : workerCommand(args));
        participants.set(id, p);
        await p.waitForLine((l) => l === `started ${id}`, 60_000);
      };
      const killLeader = async (expectedLeader: string) => {
        const leader = await oneLeader(participants, dead, 20_000);
        assert.equal(leader, expectedLeader);
        participants.get(leader)!.kill("SIGKILL");
        dead.add(leader);
      };
      try {
        await join("curator-1", "curator");
        await oneLeader(participants, dead, 20_000);
        await join("paddock-1", "paddock");
        await killLeader("curator-1");
        await join("curator-2", "curator");
        await killLeader("paddock-1");
        assert.equal(await oneLeader(participants, dead, 20_000), "curator-2", "Curator took over from Paddock");
        await join("paddock-2", "paddock");
        await killLeader("curator-2");
        assert.equal(await oneLeader(participants, dead, 20_000), "paddock-2", "Paddock took over from Curator");
      } finally {
        await Promise.all([...participants.values()].map((p) => p.stop()));
      }
    });
  });
}
