import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_TIMING, type EnsembleTiming, type MemberSpec, PeerType, writeMemberCfg } from "./ensemble_cfg.ts";
import { MemberProcess, ProcessState } from "./member_process.ts";
import { parseSrvr, type ServingMode, ServingMode as Mode } from "./member_status.ts";
import { LinkFaults } from "./net/link_faults.ts";
import { LinkProxy, PeerChannel } from "./net/link_proxy.ts";
import { establishedEnds, ownSocketInodes } from "./net/proc_tcp.ts";
import { reservePorts } from "./ports.ts";
import { REPO_ROOT, type Command, typeScriptCommand } from "./runtime.ts";
import { javaExecutable, PADDOCK_ENTRY } from "./servers.ts";
import { fourLetterWord } from "./four_letter.ts";
import type { CfgValue } from "./zoo_cfg.ts";
import { zookeeperClasspath, zookeeperMissing, ZooKeeperVersion } from "./zookeeper_dist.ts";

export { PeerType } from "./ensemble_cfg.ts";
export { ServingMode } from "./member_status.ts";

/** Which server a member runs. */
export const MemberKind = { zookeeper: "zookeeper", paddock: "paddock" } as const;
/** One of {@link MemberKind}. */
export type MemberKind = (typeof MemberKind)[keyof typeof MemberKind];

/** What ensemble to start. */
export interface EnsembleOptions {
  /** One entry per voting member; they get ids 1..n in this order. */
  participants: readonly MemberKind[];
  /** Non-voting members, ids n+1.. in this order. */
  observers?: readonly MemberKind[];
  /** Default {@link DEFAULT_TIMING}. */
  timing?: Partial<EnsembleTiming>;
  /** Put a fault-injecting proxy on every member-to-member link (default true). */
  proxies?: boolean;
  /** Jitter for link delays; seed it to replay a schedule. Default Math.random. */
  random?: () => number;
  /** Extra zoo.cfg keys for every member. */
  extra?: Record<string, CfgValue>;
  /** Extra zoo.cfg keys for one member (after `extra`), e.g. its own AdminServer port. */
  memberExtra?: (id: number) => Record<string, CfgValue>;
  /** The ZooKeeper release for zookeeper members. Default 3.9.3. */
  zookeeperVersion?: ZooKeeperVersion;
  /** How long to wait for a leader and every member serving. Default 90 s. */
  readyTimeoutMs?: number;
  /** Parent directory for the members' directories; default a new temp dir, removed by stop(). */
  dir?: string;
  /**
   * How a Paddock member runs, given its zoo.cfg: default `paddock server zoo.cfg` from the
   * sources on the current runtime; the benchmarks run the built bundle instead.
   */
  paddockCommand?: (cfgPath: string) => Command;
  /**
   * JVM flags of ZooKeeper members. Default {@link TEST_JVM_FLAGS}: small quick-starting JVMs for
   * tests; the benchmarks give them what ZooKeeper's own scripts would. System properties such as
   * `-Dreadonlymode.enabled=true` go here too.
   */
  zookeeperJvmFlags?: readonly string[];
}

/** One member: its spec, process and directory. */
export interface Member extends MemberSpec {
  /** What the member runs now ({@link Ensemble.replace} swaps it). */
  kind: MemberKind;
  dir: string;
  cfgPath: string;
  /** The zoo.cfg's dataDir (myid is there). */
  dataDir: string;
  /** The current process ({@link Ensemble.replace} puts a new one in). */
  process: MemberProcess;
}

/** A member's state as the harness sees it: its process, and what `srvr` says. */
export interface MemberStatus {
  id: number;
  kind: MemberKind;
  process: ProcessState;
  mode: ServingMode;
  /** The last zxid the member reports, when it serves. */
  zxid?: bigint;
  nodeCount?: number;
}

/** The ensemble could not be formed because a member's server does not support ensembles. */
export class EnsembleUnsupportedError extends Error {
  override name = "EnsembleUnsupportedError";
}

/** Small, quick-starting JVMs: three to five of them share two cores with the harness. */
export const TEST_JVM_FLAGS: readonly string[] = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"];

const POLL_INTERVAL_MS = 200;
const STATUS_TIMEOUT_MS = 1_500;
const LOG_TAIL_CHARS = 4_000;

/**
 * Why an ensemble of these kinds cannot run here, or null: ZooKeeper members need java and the
 * release's jars; Paddock members need the entry point.
 *
 * @example const skip = ensembleMissing(["zookeeper"]) ?? false;
 */
export function ensembleMissing(kinds: readonly MemberKind[], version: ZooKeeperVersion = ZooKeeperVersion.v393): string | null {
  if (kinds.includes(MemberKind.zookeeper)) {
    if (javaExecutable() === undefined) return "java not installed";
    const missing = zookeeperMissing(version);
    if (missing !== null) return missing;
  }
  return null;
}

/**
 * Starts an ensemble of real processes on 127.0.0.1, one zoo.cfg and myid per member, each
 * member ZooKeeper (`QuorumPeerMain zoo.cfg`) or Paddock (`paddock server zoo.cfg`), and waits
 * until one leader serves with every member following. With proxies (the default), every
 * member dials its peers through a {@link LinkProxy}, and `ensemble.faults` partitions, delays
 * and resets those links.
 *
 * @example
 * await using ensemble = await startEnsemble({ participants: ["zookeeper", "zookeeper", "paddock"] });
 * const leader = await ensemble.leader();
 * await ensemble.kill(leader!); await ensemble.waitForQuorum();
 */
export async function startEnsemble(opts: EnsembleOptions): Promise<Ensemble> {
  const kinds = [...opts.participants, ...(opts.observers ?? [])];
  const missing = ensembleMissing(kinds, opts.zookeeperVersion);
  if (missing !== null) throw new Error(`cannot start the ensemble: ${missing}`);
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "paddock-ensemble-"));
  // Held until the proxies have their ports, so that no proxy lands on a member's port.
  const reservation = await reservePorts(kinds.length * 3);
  const specs: MemberSpec[] = kinds.map((_, i) => ({
    id: i + 1,
    peerType: i < opts.participants.length ? PeerType.participant : PeerType.observer,
    ports: { clientPort: reservation.ports[i * 3]!, quorumPort: reservation.ports[i * 3 + 1]!, electionPort: reservation.ports[i * 3 + 2]! },
  }));
  const faults = new LinkFaults();
  const proxies = opts.proxies === false ? [] : await startProxies(specs, faults, opts.random ?? Math.random);
  await reservation.release();
  const timing = { ...DEFAULT_TIMING, ...opts.timing };
  const members = specs.map((spec, i) => prepareMember({ spec, specs, kind: kinds[i]!, dir, timing, proxies, opts }));
  const ensemble = new Ensemble({ members, faults: opts.proxies === false ? undefined : faults, proxies, dir, ownDir, timing, launch: opts });
  try {
    for (const member of members) member.process.start();
    await ensemble.waitForQuorum({ timeoutMs: opts.readyTimeoutMs ?? 90_000 });
  } catch (err) {
    await ensemble.stop({ keepDir: true });
    throw err;
  }
  return ensemble;
}

async function startProxies(specs: readonly MemberSpec[], faults: LinkFaults, random: () => number): Promise<LinkProxy[]> {
  const proxies: LinkProxy[] = [];
  for (const from of specs) {
    for (const to of specs) {
      if (from.id === to.id) continue;
      const base = { from: from.id, to: to.id, faults, random };
      proxies.push(await LinkProxy.start({ ...base, channel: PeerChannel.quorum, targetPort: to.ports.quorumPort }));
      // The winner of QuorumCnxManager's challenge dials back the address the dialer advertised:
      // make that the proxy of the reverse link.
      const advertise = () => `127.0.0.1:${findProxy(proxies, to.id, from.id, PeerChannel.election).port}`;
      proxies.push(await LinkProxy.start({ ...base, channel: PeerChannel.election, targetPort: to.ports.electionPort, advertise }));
    }
  }
  return proxies;
}

function findProxy(proxies: readonly LinkProxy[], from: number, to: number, channel: PeerChannel): LinkProxy {
  const proxy = proxies.find((p) => p.options.from === from && p.options.to === to && p.options.channel === channel);
  if (proxy === undefined) throw new Error(`no ${channel} proxy ${from} -> ${to}`);
  return proxy;
}

function prepareMember(args: {
  spec: MemberSpec;
  specs: readonly MemberSpec[];
  kind: MemberKind;
  dir: string;
  timing: EnsembleTiming;
  proxies: readonly LinkProxy[];
  opts: EnsembleOptions;
}): Member {
  const { spec, kind } = args;
  const memberDir = join(args.dir, `member${spec.id}`);
  mkdirSync(memberDir, { recursive: true });
  const addressing = (from: number, to: number) => {
    const target = args.specs.find((s) => s.id === to)!.ports;
    if (args.proxies.length === 0) return { quorumPort: target.quorumPort, electionPort: target.electionPort };
    return { quorumPort: findProxy(args.proxies, from, to, PeerChannel.quorum).port, electionPort: findProxy(args.proxies, from, to, PeerChannel.election).port };
  };
  // Paddock's AdminServer is on by default on 8080, as ZooKeeper's is; members here share one
  // host, so it stays off unless a member is given its own port.
  const adminOff: Record<string, CfgValue> = kind === MemberKind.paddock ? { "admin.enableServer": false } : {};
  const extra = { ...adminOff, ...args.opts.extra, ...args.opts.memberExtra?.(spec.id) };
  const cfg = writeMemberCfg({ self: spec, members: args.specs, addressing, timing: args.timing, dir: memberDir, extra });
  const process = memberProcess(kind, cfg.path, memberDir, args.opts);
  return { ...spec, kind, dir: memberDir, cfgPath: cfg.path, dataDir: cfg.dataDir, process };
}

/** How members are launched: the options of {@link EnsembleOptions} that say it. */
type MemberLaunch = Pick<EnsembleOptions, "zookeeperVersion" | "zookeeperJvmFlags" | "paddockCommand">;

/** The process that runs `kind` on a member's zoo.cfg, logging into `<dir>/member.log` (appended). */
function memberProcess(kind: MemberKind, cfgPath: string, dir: string, launch: MemberLaunch): MemberProcess {
  const command = kind === MemberKind.zookeeper
    ? zookeeperCommand(cfgPath, dir, launch.zookeeperVersion ?? ZooKeeperVersion.v393, launch.zookeeperJvmFlags ?? TEST_JVM_FLAGS)
    : launch.paddockCommand?.(cfgPath) ?? typeScriptCommand(resolve(REPO_ROOT, PADDOCK_ENTRY), ["server", cfgPath]);
  const cwd = kind === MemberKind.zookeeper ? dir : REPO_ROOT;
  return new MemberProcess({ command, cwd, logPath: join(dir, "member.log") });
}

/** `java ... QuorumPeerMain zoo.cfg`, logging through slf4j-simple into the member's log when installed. */
function zookeeperCommand(cfgPath: string, dir: string, version: ZooKeeperVersion, jvmFlags: readonly string[]): Command {
  const classpath = [zookeeperClasspath(version), "/usr/share/java/slf4j-simple.jar"].join(":");
  return {
    command: javaExecutable()!,
    args: [
      ...jvmFlags,
      "-Djava.net.preferIPv4Stack=true",
      `-Dzookeeper.log.dir=${dir}`,
      "-Dzookeeper.admin.enableServer=false",
      "-Dorg.slf4j.simpleLogger.showDateTime=true",
      "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
      "-cp", classpath,
      "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath,
    ],
  };
}

/**
 * A running ensemble: its members, the link faults (with proxies), process faults (kill, pause,
 * resume, restart) and the members' states as `srvr` reports them.
 */
export class Ensemble implements AsyncDisposable {
  readonly members: readonly Member[];
  /** Link faults between members; undefined when started without proxies. */
  readonly faults: LinkFaults | undefined;
  readonly dir: string;
  readonly timing: EnsembleTiming;
  readonly #proxies: readonly LinkProxy[];
  readonly #ownDir: boolean;
  readonly #launch: MemberLaunch;
  #stopped = false;

  constructor(args: {
    members: Member[];
    faults: LinkFaults | undefined;
    proxies: LinkProxy[];
    dir: string;
    ownDir: boolean;
    timing: EnsembleTiming;
    launch: MemberLaunch;
  }) {
    this.members = args.members;
    this.faults = args.faults;
    this.dir = args.dir;
    this.timing = args.timing;
    this.#proxies = args.proxies;
    this.#ownDir = args.ownDir;
    this.#launch = args.launch;
  }

  /** The member with this id. */
  member(id: number): Member {
    const member = this.members.find((m) => m.id === id);
    if (member === undefined) throw new RangeError(`no member ${id} (members: ${this.members.map((m) => m.id).join(", ")})`);
    return member;
  }

  /** Ids of the voting members. */
  get participantIds(): number[] {
    return this.members.filter((m) => m.peerType === PeerType.participant).map((m) => m.id);
  }

  /** `127.0.0.1:p1,127.0.0.1:p2,...` for the given members (default all), what clients take. */
  connectString(ids: readonly number[] = this.members.map((m) => m.id)): string {
    return ids.map((id) => `127.0.0.1:${this.member(id).ports.clientPort}`).join(",");
  }

  /** What one member says about itself (`srvr`); a paused or dead member is not asked. */
  async status(id: number): Promise<MemberStatus> {
    const member = this.member(id);
    const base = { id, kind: member.kind, process: member.process.state };
    if (member.process.state !== ProcessState.running) return { ...base, mode: Mode.down };
    try {
      const answer = await fourLetterWord({ host: "127.0.0.1", port: member.ports.clientPort, word: "srvr", timeoutMs: STATUS_TIMEOUT_MS });
      return { ...base, ...parseSrvr(answer) };
    } catch {
      return { ...base, mode: Mode.unreachable };
    }
  }

  /** Every member's status, asked concurrently. */
  statuses(): Promise<MemberStatus[]> {
    return Promise.all(this.members.map((m) => this.status(m.id)));
  }

  /** The id of the one member reporting `Mode: leader`, or undefined when none or several do. */
  async leader(): Promise<number | undefined> {
    const leaders = (await this.statuses()).filter((s) => s.mode === Mode.leader);
    return leaders.length === 1 ? leaders[0]!.id : undefined;
  }

  /**
   * Waits until exactly one member leads and every running member serves as leader, follower
   * or observer (paused and dead members are not waited for). Throws {@link EnsembleUnsupportedError}
   * when a member runs standalone from its multi-server zoo.cfg, and an error with the members'
   * log tails when a member dies or the time runs out.
   */
  async waitForQuorum(opts: { timeoutMs?: number } = {}): Promise<MemberStatus[]> {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const deadline = performance.now() + timeoutMs;
    let last: MemberStatus[] = [];
    while (performance.now() < deadline) {
      last = await this.statuses();
      this.#checkSupported(last);
      if (isFormed(last)) return last;
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(`no quorum within ${timeoutMs} ms: ${describe(last)}\n${this.logTails()}`);
  }

  /** SIGKILL a member. */
  kill(id: number): Promise<void> {
    return this.member(id).process.kill();
  }

  /** SIGSTOP a member. */
  pause(id: number): void {
    this.member(id).process.pause();
  }

  /** SIGCONT a paused member. */
  resume(id: number): void {
    this.member(id).process.resume();
  }

  /** Starts a dead member again on its data directory (kills it first if it runs). */
  async restart(id: number): Promise<void> {
    const member = this.member(id);
    if (member.process.state !== ProcessState.dead) await member.process.kill();
    member.process.start();
  }

  /**
   * Swaps the server a member runs, as an operator migrating an ensemble does: SIGTERM (SIGKILL
   * after a grace period), then the same id, ports and zoo.cfg run by `kind`, on a dataDir
   * emptied except for myid. ZooKeeper's and Paddock's files differ, so the new server starts
   * empty and catches up from the leader (a SNAP): no export or import. Its output goes on in
   * the same member.log. Resolves once the new process is spawned, not once it serves.
   *
   * @example await ensemble.replace(2, MemberKind.paddock); await ensemble.waitForQuorum();
   */
  async replace(id: number, kind: MemberKind): Promise<void> {
    const member = this.member(id);
    await member.process.stop();
    for (const entry of readdirSync(member.dataDir)) {
      if (entry !== "myid") rmSync(join(member.dataDir, entry), { recursive: true, force: true });
    }
    member.kind = kind;
    member.process = memberProcess(kind, member.cfgPath, member.dir, this.#launch);
    member.process.start();
  }

  /**
   * Established connections into a member's quorum or election port that did not come from a
   * proxy of this harness (Linux only: read from /proc). With proxies these must not exist, or
   * faults would miss them. Each entry names the member and port.
   */
  connectionsBypassingProxies(): string[] {
    const ours = ownSocketInodes();
    const ends = establishedEnds();
    const found: string[] = [];
    for (const member of this.members) {
      for (const [channel, port] of [["quorum", member.ports.quorumPort], ["election", member.ports.electionPort]] as const) {
        for (const accepted of ends.filter((e) => e.localPort === port)) {
          const dialer = ends.find((e) => e.localPort === accepted.remotePort && e.remotePort === port);
          if (dialer !== undefined && !ours.has(dialer.inode)) found.push(`member ${member.id} ${channel} port ${port} <- port ${accepted.remotePort}`);
        }
      }
    }
    return found;
  }

  /** The last lines of every member's log, for failure messages. */
  logTails(maxChars = LOG_TAIL_CHARS): string {
    return this.members.map((m) => `--- member ${m.id} (${m.kind}) ${m.process.logPath} ---\n${tailOf(m.process.logPath, maxChars)}`).join("\n");
  }

  /** Stops every member and proxy; removes the directory unless asked to keep it (or it was given). */
  async stop(opts: { keepDir?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.faults?.heal();
    await Promise.all(this.members.map((m) => m.process.stop()));
    await Promise.all(this.#proxies.map((p) => p.close()));
    if (this.#ownDir && !opts.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #checkSupported(statuses: readonly MemberStatus[]): void {
    const standalone = statuses.find((s) => s.mode === Mode.standalone);
    if (standalone !== undefined && this.members.length > 1) {
      throw new EnsembleUnsupportedError(`member ${standalone.id} (${standalone.kind}) runs standalone from a ${this.members.length}-server zoo.cfg`);
    }
    for (const member of this.members) {
      const exit = member.process.lastExit;
      if (member.process.state === ProcessState.dead && member.process.starts > 0 && exit !== undefined && exit.signal !== "SIGKILL") {
        const log = tailOf(member.process.logPath, LOG_TAIL_CHARS);
        throw new Error(`member ${member.id} (${member.kind}) exited with code ${exit.code} signal ${exit.signal}\n${log}`);
      }
    }
  }
}

function isFormed(statuses: readonly MemberStatus[]): boolean {
  const running = statuses.filter((s) => s.process === ProcessState.running);
  const leaders = running.filter((s) => s.mode === Mode.leader);
  const serving = running.every((s) => s.mode === Mode.leader || s.mode === Mode.follower || s.mode === Mode.observer);
  return leaders.length === 1 && serving;
}

function describe(statuses: readonly MemberStatus[]): string {
  return statuses.map((s) => `${s.id}(${s.kind}):${s.process === ProcessState.running ? s.mode : s.process}`).join(" ");
}

function tailOf(path: string, maxChars: number): string {
  try {
    const text = readFileSync(path, "utf8");
    return text.length <= maxChars ? text : text.slice(-maxChars);
  } catch {
    return "(no log)";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
