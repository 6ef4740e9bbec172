/**
 * The two ensembles the ensemble benchmark compares, started as operators run them: three
 * ZooKeeper 3.9.3 members (QuorumPeerMain with the JVM flags of its own scripts) or three Paddock
 * members (the Node bundle, `node dist/paddock.mjs server zoo.cfg`), each member on its own
 * zoo.cfg and data dir under the OS temp dir (one disk for all), forceSync on, ZooKeeper's
 * sample timing (tickTime 2000, initLimit 10, syncLimit 5), no fault proxies between members.
 * It reuses the tests' ensemble launcher (tests/support/ensemble.ts) and adds what a benchmark
 * needs: roles, client endpoints, pids, mntr figures.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Ensemble, MemberKind, ServingMode, startEnsemble } from "../tests/support/ensemble.ts";
import { fourLetterWord } from "../tests/support/four_letter.ts";
import { monitor } from "../tests/support/ensemble_writes.ts";
import { paddockServerCommand, ZOOKEEPER_JVM_FLAGS } from "./bench_servers.ts";
import type { LoadTarget } from "./load.ts";

/** Which server an ensemble runs: all members alike. */
export const EnsembleKind = { zookeeper: "zookeeper", paddock: "paddock" } as const;
/** One of {@link EnsembleKind}. */
export type EnsembleKind = (typeof EnsembleKind)[keyof typeof EnsembleKind];

/** ZooKeeper's conf/zoo_sample.cfg timing, which deployments start from. */
export const BENCH_TIMING = { tickTimeMs: 2000, initLimit: 10, syncLimit: 5 } as const;

const HOST = "127.0.0.1";
const MEMBERS = 3;
const READY_TIMEOUT_MS = 120_000;

/**
 * Directories of ensembles still running: removed if the run dies (members are SIGKILLed by the
 * launcher's own exit hook, registered first), a million-znode ensemble leaves gigabytes.
 */
const liveDirs = new Set<string>();
process.on("exit", () => {
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

/** Who leads and who follows, as the members' `srvr` say. */
export interface Roles {
  leader: number;
  followers: number[];
}

/**
 * A running 3-member ensemble of one kind.
 *
 * @example
 * const zk = await startBenchEnsemble(EnsembleKind.zookeeper);
 * const { leader } = await zk.roles();
 * await zk.stop();
 */
export class BenchEnsemble {
  readonly kind: EnsembleKind;
  readonly ensemble: Ensemble;

  constructor(kind: EnsembleKind, ensemble: Ensemble) {
    this.kind = kind;
    this.ensemble = ensemble;
    liveDirs.add(ensemble.dir);
  }

  /** Member ids, 1..3. */
  get ids(): number[] {
    return this.ensemble.members.map((m) => m.id);
  }

  /** Waits for one leader and every running member serving; returns who is what. */
  async roles(timeoutMs = READY_TIMEOUT_MS): Promise<Roles> {
    const statuses = await this.ensemble.waitForQuorum({ timeoutMs });
    const leader = statuses.find((s) => s.mode === ServingMode.leader)!.id;
    return { leader, followers: statuses.filter((s) => s.mode === ServingMode.follower).map((s) => s.id) };
  }

  /** Where clients reach member `id`. */
  target(id: number): LoadTarget {
    return { host: HOST, port: this.ensemble.member(id).ports.clientPort };
  }

  /** Every member's client endpoint. */
  targets(): LoadTarget[] {
    return this.ids.map((id) => this.target(id));
  }

  /** Pids of the running members (whose CPU a row reports). */
  pids(): number[] {
    return this.ensemble.members.flatMap((m) => (m.process.pid === undefined || m.process.state === "dead" ? [] : [m.process.pid]));
  }

  /** The server version member `id` reports (`srvr`). */
  async version(id: number): Promise<string> {
    const srvr = await fourLetterWord({ host: HOST, port: this.target(id).port, word: "srvr", timeoutMs: 5000 });
    return /^Zookeeper version: (.*)$/m.exec(srvr)?.[1]?.trim() ?? "?";
  }

  /** Member `id`'s `mntr` (zk_ prefix removed). */
  mntr(id: number): Promise<Map<string, string>> {
    return monitor(this.target(id).port);
  }

  /**
   * Polls member `id` (and the leader) every `pollMs` until `id` serves as a follower with the
   * leader's last zxid. Returns, in ms since `since` (a performance.now()), when it first
   * served and when it had caught up. Meant for an idle ensemble, whose leader's zxid stands still.
   */
  async waitCaughtUp(id: number, since: number, opts: { pollMs?: number; timeoutMs?: number } = {}): Promise<{ servingMs: number; caughtUpMs: number }> {
    const pollMs = opts.pollMs ?? 25;
    const deadline = since + (opts.timeoutMs ?? 600_000);
    let servingMs: number | undefined;
    let last = "";
    while (performance.now() < deadline) {
      const status = await this.ensemble.status(id);
      const now = performance.now() - since;
      if (status.mode === ServingMode.follower) {
        servingMs ??= now;
        const leader = (await this.ensemble.statuses()).find((s) => s.mode === ServingMode.leader);
        if (leader?.zxid !== undefined && status.zxid === leader.zxid) return { servingMs, caughtUpMs: now };
        last = `follower at 0x${status.zxid?.toString(16)}, leader ${leader?.id} at 0x${leader?.zxid?.toString(16)}`;
      } else {
        last = status.mode;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new Error(`${this.kind} member ${id} did not catch up (last: ${last})\n${this.ensemble.logTails()}`);
  }

  /** Removes everything in member `id`'s data dir but `myid` (the member must be down). */
  wipeData(id: number): void {
    const dataDir = join(this.ensemble.member(id).dir, "data");
    for (const entry of readdirSync(dataDir)) if (entry !== "myid") rmSync(join(dataDir, entry), { recursive: true, force: true });
  }

  /** Stops every member and removes their directories. */
  async stop(): Promise<void> {
    await this.ensemble.stop();
    liveDirs.delete(this.ensemble.dir);
  }
}

/**
 * Starts three members of `kind` and waits until one leads and two follow.
 *
 * @example const paddock = await startBenchEnsemble(EnsembleKind.paddock);
 */
export async function startBenchEnsemble(kind: EnsembleKind): Promise<BenchEnsemble> {
  const memberKind = kind === EnsembleKind.zookeeper ? MemberKind.zookeeper : MemberKind.paddock;
  const ensemble = await startEnsemble({
    participants: Array.from({ length: MEMBERS }, () => memberKind),
    timing: BENCH_TIMING,
    proxies: false,
    extra: { forceSync: "yes" },
    paddockCommand: paddockServerCommand,
    zookeeperJvmFlags: ZOOKEEPER_JVM_FLAGS,
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  return new BenchEnsemble(kind, ensemble);
}

/** A summary metric's count and sum from mntr (`zk_cnt_<name>`, `zk_sum_<name>`), zero when absent. */
export function summaryOf(mntr: Map<string, string>, name: string): { count: number; sum: number } {
  return { count: Number(mntr.get(`cnt_${name}`) ?? 0), sum: Number(mntr.get(`sum_${name}`) ?? 0) };
}
