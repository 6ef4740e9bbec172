import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../../support/runtime.ts";
import { javacExecutable, javaRunCommand, compileJava, type JavaProgram } from "../../support/java_tools.ts";
import { javaExecutable } from "../../support/servers.ts";
import { zookeeperClasspath, zookeeperMissing, ZooKeeperVersion } from "../../support/zookeeper_dist.ts";
import { ChaosClientError, type ChaosClientLibrary, type ChaosSession, type NodeMode, SessionState } from "./chaos_client.ts";

const SOURCE = join(REPO_ROOT, "tests", "chaos", "java", "ChaosClient.java");
const EXIT_GRACE_MS = 5_000;
const STDERR_KEEP_CHARS = 8_000;

const STATES: Record<string, SessionState> = {
  SyncConnected: SessionState.connected,
  Disconnected: SessionState.disconnected,
  Expired: SessionState.expired,
  Closed: SessionState.closed,
};

/**
 * Why the Java client cannot run here, or null: java, javac and ZooKeeper 3.9.3's client jars.
 *
 * @example const skip = javaClientsMissing() ?? false;
 */
export function javaClientsMissing(): string | null {
  if (javaExecutable() === undefined) return "java not installed";
  if (javacExecutable() === undefined) return "javac not installed";
  return zookeeperMissing(ZooKeeperVersion.v393);
}

/**
 * Sessions of the ZooKeeper 3.9.3 Java client, all in one JVM running tests/chaos/java/ChaosClient.java,
 * driven over its stdin: the harness decides every call and times it from here.
 *
 * @example const java = await javaClients(); const session = await java.open(connectString, 4000);
 */
export async function javaClients(): Promise<ChaosClientLibrary> {
  const program: JavaProgram = {
    source: SOURCE,
    classpath: zookeeperClasspath(ZooKeeperVersion.v393).split(":"),
    jvmFlags: ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"],
  };
  await compileJava(program);
  const command = javaRunCommand(program, []);
  const jvm = new Jvm(spawn(command.command, command.args, { stdio: ["pipe", "pipe", "pipe"] }));
  let sessions = 0;
  return {
    name: "java",
    async open(connectString, sessionTimeoutMs) {
      const name = `s${++sessions}`;
      const events = jvm.subscribe(name);
      try {
        const [sessionId] = await jvm.request(["open", name, connectString, String(sessionTimeoutMs)]);
        return new JavaSession(jvm, name, sessionId!, events);
      } catch (err) {
        jvm.send(["close", name]);
        throw err;
      }
    },
    close: () => jvm.close(),
  };
}

/** Listeners of one session's events. */
interface SessionEvents {
  states: Set<(state: SessionState) => void>;
  watches: Map<string, (() => void)[]>;
}

/** The JVM and its line protocol: numbered requests, answers by number, events by session. */
class Jvm {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (fields: string[]) => void; reject: (err: Error) => void }>();
  readonly #sessions = new Map<string, SessionEvents>();
  readonly #exited: Promise<void>;
  #nextId = 1;
  #buffer = "";
  #stderr = "";
  #dead: Error | undefined;

  constructor(child: ChildProcess) {
    this.#child = child;
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => this.#read(chunk));
    child.stderr!.on("data", (chunk: Buffer) => (this.#stderr = (this.#stderr + chunk.toString()).slice(-STDERR_KEEP_CHARS)));
    child.stdin!.on("error", () => undefined);
    this.#exited = new Promise((resolve) => {
      child.on("error", (err) => this.#die(err, resolve));
      child.on("exit", (code, signal) => this.#die(new Error(`Java chaos client exited (code ${code}, signal ${signal}): ${this.#stderr}`), resolve));
    });
    process.on("exit", () => child.kill("SIGKILL"));
  }

  subscribe(session: string): SessionEvents {
    const events: SessionEvents = { states: new Set(), watches: new Map() };
    this.#sessions.set(session, events);
    return events;
  }

  /** Sends a request; resolves with the fields after "ok", rejects with the error code. */
  request(fields: string[]): Promise<string[]> {
    if (this.#dead !== undefined) return Promise.reject(new ChaosClientError("CONNECTIONLOSS", this.#dead.message));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.stdin!.write(`${id} ${fields.join(" ")}\n`);
    });
  }

  /** Sends a request without waiting for its answer. */
  send(fields: string[]): void {
    void this.request(fields).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#child.stdin!.end();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.#exited, new Promise((resolve) => (timer = setTimeout(resolve, EXIT_GRACE_MS)))]);
    clearTimeout(timer);
    if (this.#dead === undefined) this.#child.kill("SIGKILL");
    await this.#exited;
  }

  #read(chunk: string): void {
    this.#buffer += chunk;
    let newline = this.#buffer.indexOf("\n");
    while (newline >= 0) {
      const line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 1);
      if (line.startsWith("! ")) this.#event(line.split(" "));
      else if (line !== "") this.#answer(line.split(" "));
      newline = this.#buffer.indexOf("\n");
    }
  }

  #answer(fields: string[]): void {
    const waiter = this.#pending.get(Number(fields[0]));
    if (waiter === undefined) return;
    this.#pending.delete(Number(fields[0]));
    if (fields[1] === "ok") waiter.resolve(fields.slice(2));
    else waiter.reject(new ChaosClientError(fields[2] ?? "SYSTEMERROR", fields.slice(3).join(" ")));
  }

  /** `! S state KeeperState` or `! S watch EventType path`. */
  #event(fields: string[]): void {
    const events = this.#sessions.get(fields[1]!);
    if (events === undefined) return;
    if (fields[2] === "state") {
      const state = STATES[fields[3]!];
      if (state !== undefined) for (const listener of [...events.states]) listener(state);
      return;
    }
    const path = fields[4]!;
    const callbacks = events.watches.get(path) ?? [];
    events.watches.delete(path);
    for (const callback of callbacks) callback();
  }

  #die(err: Error, resolve: () => void): void {
    this.#dead ??= err;
    for (const waiter of this.#pending.values()) waiter.reject(new ChaosClientError("CONNECTIONLOSS", err.message));
    this.#pending.clear();
    resolve();
  }
}

class JavaSession implements ChaosSession {
  readonly sessionId: string;
  readonly #jvm: Jvm;
  readonly #name: string;
  readonly #events: SessionEvents;
  #lastZxid = 0n;

  constructor(jvm: Jvm, name: string, sessionId: string, events: SessionEvents) {
    this.#jvm = jvm;
    this.#name = name;
    this.sessionId = sessionId;
    this.#events = events;
  }

  lastZxid(): bigint {
    return this.#lastZxid;
  }

  async create(path: string, value: string, mode: NodeMode): Promise<string> {
    const [created] = await this.#call(["create", this.#name, path, encode(value), mode]);
    return created!;
  }

  async getData(path: string) {
    const [data, version, mzxid] = await this.#call(["get", this.#name, path]);
    return { value: data === "-" ? null : Buffer.from(data!, "base64").toString("utf8"), version: Number(version), mzxid: BigInt(mzxid!) };
  }

  async setData(path: string, value: string, version: number) {
    const [newVersion, mzxid] = await this.#call(["set", this.#name, path, encode(value), String(version)]);
    return { version: Number(newVersion), mzxid: BigInt(mzxid!) };
  }

  async delete(path: string, version: number): Promise<void> {
    await this.#call(["delete", this.#name, path, String(version)]);
  }

  getChildren(path: string): Promise<string[]> {
    return this.#call(["children", this.#name, path]);
  }

  async exists(path: string, onChange?: () => void): Promise<boolean> {
    if (onChange !== undefined) this.#events.watches.set(path, [...(this.#events.watches.get(path) ?? []), onChange]);
    const [found] = await this.#call(["exists", this.#name, path, onChange === undefined ? "0" : "1"]);
    return found === "1";
  }

  async sync(path: string): Promise<void> {
    await this.#call(["sync", this.#name, path]);
  }

  async barrier(path: string): Promise<void> {
    await this.#call(["barrier", this.#name, path]);
  }

  onState(listener: (state: SessionState) => void): () => void {
    this.#events.states.add(listener);
    return () => this.#events.states.delete(listener);
  }

  async close(): Promise<void> {
    this.#events.states.clear();
    await this.#jvm.request(["close", this.#name]).catch(() => undefined);
  }

  /** Every answer starts with the session's lastZxid; the rest is the call's. */
  async #call(fields: string[]): Promise<string[]> {
    const [zxid, ...rest] = await this.#jvm.request(fields);
    const seen = BigInt(zxid!);
    if (seen > 0n) this.#lastZxid = seen;
    return rest;
  }
}

function encode(value: string): string {
  return Buffer.from(value, "utf8").toString("base64");
}
