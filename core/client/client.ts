import {
  type ACL,
  AddWatchMode,
  createModeInfo,
  ErrorCode,
  JUTE_MAX_BUFFER_DEFAULT,
  KeeperError,
  KeeperState as StateCode,
  OpCode,
  pathProblem,
  WatcherType,
} from "../proto/mod.ts";
import { EventType } from "./event_names.ts";
import type { Stat } from "./stat.ts";
import type { Transport } from "../io/transport.ts";
import { nodeTransport } from "../io/node_transport.ts";
import { parseConnectString, shuffled } from "./connect_string.ts";
import { toBytes } from "./data.ts";
import { EventQueue } from "./event_queue.ts";
import {
  checkMultiResults, readMultiResults, readReadResults, writeMultiOps, writeReadOps,
  type Op, type OpResult, type ReadOp, type ReadResult,
} from "./multi.ts";
import * as rq from "./requests.ts";
import { Session } from "./session.ts";
import { createOp, Transaction, type CreateOptions } from "./transaction.ts";
import {
  type AclResult, type ChildrenResult, type ClientInfo, type ClientStatus, ConnectionState, type CreateResult,
  type Data, type DataResult, type WatchedEvent, type Watcher, type WatchOptions,
} from "./types.ts";
import { OneShotKind } from "./watch_registry.ts";
import { raceAbort } from "./race_abort.ts";

/** How a client connects and behaves. Every field has a default. */
export interface ClientOptions {
  /** Requested session timeout; the server clamps it to [2, 20] ticks. Default 30000. */
  sessionTimeoutMs?: number;
  /** Per-server connect + handshake limit. Default: session timeout / number of servers. */
  connectTimeoutMs?: number;
  /** Largest random wait between reconnect attempts. Default min(1000, session timeout / 10). */
  reconnectDelayMaxMs?: number;
  /** How long close() waits for the server to confirm closeSession. Default min(2000, session timeout). */
  closeTimeoutMs?: number;
  /** Largest reply frame accepted. Default jute.maxbuffer plus room for headers (4 MiB). */
  maxFrameBytes?: number;
  /** Requests in flight or queued at once; beyond it operations are refused. Default 100000. */
  maxPendingRequests?: number;
  /** Default: node:net. */
  transport?: Transport;
  /** Randomness for host shuffling and reconnect jitter. Default Math.random. */
  random?: () => number;
  /** Shuffle the servers (as every ZooKeeper client does). Default true. */
  shuffleHosts?: boolean;
  /** Credentials sent on every connection, before any request. */
  auth?: readonly { scheme: string; auth: Data }[];
  /**
   * Accept a server that lost its quorum and serves reads only (zoo.cfg `readonlymode.enabled`),
   * as the Java client's canBeReadOnly: reads work there, changes fail with NotReadOnly, and the
   * client keeps looking for a read-write server (asking the others `isro`) and moves to it. A
   * session made on a read-only server is local to it: the first read-write server gives a new
   * one. Default false.
   */
  canBeReadOnly?: boolean;
}

/** A persistent watch registered by addWatch. */
export interface PersistentWatch {
  readonly path: string;
  readonly recursive: boolean;
  /** Removes the listener, and the server's watch when it was the last one on that path. */
  remove(): Promise<void>;
}

/** The iterator returned by watch(); `ready` settles once the server has the watch. */
export interface WatchIterator extends AsyncIterableIterator<WatchedEvent> {
  readonly ready: Promise<void>;
}

/** Options of watch(). */
export interface WatchIteratorOptions {
  /** Also watch every descendant (AddWatchMode.PersistentRecursive). */
  recursive?: boolean;
  /** Ends the iteration (and removes the watch). */
  signal?: AbortSignal;
  /** Events buffered for a slow consumer before the iteration fails. Default 10000. */
  capacity?: number;
}

const MAX_FRAME_DEFAULT = 4 * 1024 * 1024;
const FAKE_CHILD = "1";
const encoder = new TextEncoder();

/** Where ZooKeeper keeps the ensemble's configuration (ZooDefs.CONFIG_NODE). */
const CONFIG_PATH = "/zookeeper/config";

/**
 * A path the client refuses before sending (ZooKeeper's Java client throws IllegalArgumentException):
 * a KeeperError with code BadArguments whose message says what is wrong.
 *
 * @example catch (e) { if (e instanceof BadPathError) console.error(e.message); }
 */
export class BadPathError extends KeeperError {
  override name = "BadPathError";
  constructor(path: string, problem: string) {
    super(ErrorCode.BADARGUMENTS, path);
    this.message = `${problem} (${JSON.stringify(path)})`;
  }
}

function badPath(path: string, sequential = false): BadPathError | undefined {
  if (typeof path !== "string") return new BadPathError(String(path), "path must be a string");
  // A sequential create may end in "/": the server appends the counter.
  const problem = pathProblem(sequential ? path + FAKE_CHILD : path);
  return problem === null ? undefined : new BadPathError(path, problem);
}

/**
 * Creates a client and starts connecting at once. Operations issued before the session is
 * established are queued and sent when it is; `ready()` waits for that.
 *
 * @example
 * await using client = createClient("127.0.0.1:2181,127.0.0.1:2182/app", { sessionTimeoutMs: 10_000 });
 * await client.ready();
 * const { path } = await client.create("/jobs/job-", "payload", { mode: CreateMode.PERSISTENT_SEQUENTIAL });
 */
export function createClient(connectString: string, options: ClientOptions = {}): Client {
  return new Client(connectString, options);
}

/**
 * A ZooKeeper session over a list of servers, as the Java client: pipelined requests, one-shot
 * watches per call, persistent watches as async iterators, reconnects that keep the session.
 * Build it with {@link createClient}.
 *
 * @example const { data, stat } = await client.getData("/config", { watch: (e) => reload(e.path) });
 */
export class Client implements AsyncDisposable {
  readonly #session: Session;
  /** Set once the server turned down the Persistent watcher types (ZooKeeper 3.8). */
  #legacyWatchRemoval = false;

  constructor(connectString: string, options: ClientOptions = {}) {
    const parsed = parseConnectString(connectString);
    const random = options.random ?? Math.random;
    const sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000;
    const hosts = options.shuffleHosts === false ? parsed.hosts : shuffled(parsed.hosts, random);
    this.#session = new Session({
      hosts,
      chroot: parsed.chroot,
      sessionTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? Math.max(100, Math.floor(sessionTimeoutMs / hosts.length)),
      reconnectDelayMaxMs: options.reconnectDelayMaxMs ?? Math.min(1000, Math.floor(sessionTimeoutMs / 10)),
      closeTimeoutMs: options.closeTimeoutMs ?? Math.min(2000, sessionTimeoutMs),
      maxFrameBytes: options.maxFrameBytes ?? Math.max(MAX_FRAME_DEFAULT, JUTE_MAX_BUFFER_DEFAULT + 1024),
      maxPendingRequests: options.maxPendingRequests ?? 100_000,
      transport: options.transport ?? nodeTransport,
      random,
      canBeReadOnly: options.canBeReadOnly ?? false,
    });
    for (const a of options.auth ?? []) void this.#session.addAuth(a.scheme, toBytes(a.auth)!).catch(() => undefined);
  }

  // ---- session -------------------------------------------------------------------------------

  /** `connecting`, `connected`, `disconnected`, or a final `expired` / `closed` / `authFailed`. */
  get state(): ClientStatus {
    return this.#session.status;
  }

  /** True while connected to a read-only server (only with `canBeReadOnly`). */
  get readOnly(): boolean {
    return this.#session.readOnly;
  }

  /** The session id (0n until the first session is established). */
  get sessionId(): bigint {
    return this.#session.sessionId;
  }

  /** The session password, to re-attach from elsewhere (as the Java client's getSessionPasswd). */
  get sessionPassword(): Uint8Array {
    return this.#session.passwd;
  }

  /** The session timeout the server granted (0 before the first connect). */
  get negotiatedTimeoutMs(): number {
    return this.#session.negotiatedTimeoutMs;
  }

  /** The highest zxid seen in any reply. */
  get lastZxid(): bigint {
    return this.#session.lastZxid;
  }

  /**
   * Resolves when the client is connected (to a read-only server too, with canBeReadOnly). Rejects with KeeperError when the session has ended
   * (SessionExpired, AuthFailed), with the signal's reason on abort, and, unless `wait` is true,
   * with {@link ServerUnreachableError} as soon as every server was tried once and none answered
   * before the first session (about a second when they refuse: "connection refused by
   * 127.0.0.1:2181"). The client keeps trying in the background either way; `wait: true` waits
   * for it (bound it with a signal).
   *
   * @example await client.ready({ signal: AbortSignal.timeout(5000) });
   * @example await client.ready({ wait: true, signal: AbortSignal.timeout(60_000) }); // a server still starting
   */
  ready(opts: { signal?: AbortSignal; wait?: boolean } = {}): Promise<void> {
    const session = this.#session;
    if (session.status === "connected") return Promise.resolve();
    if (session.terminal) return Promise.reject(terminalError(session.status));
    const failFast = opts.wait !== true;
    if (failFast && session.unreachable !== null) return Promise.reject(session.unreachable);
    return new Promise((resolve, reject) => {
      const signal = opts.signal;
      const onAbort = () => finish(() => reject(signal!.reason));
      const unsubscribe = session.onState((state) => {
        if (state === ConnectionState.connected || state === ConnectionState.reconnected || state === ConnectionState.connectedReadOnly) finish(resolve);
        else if (session.terminal) finish(() => reject(terminalError(session.status)));
      });
      const stopUnreachable = failFast ? session.onUnreachable((error) => finish(() => reject(error))) : () => {};
      const finish = (settle: () => void) => {
        unsubscribe();
        stopUnreachable();
        signal?.removeEventListener("abort", onAbort);
        settle();
      };
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Listens to connection-state changes; returns the function that stops listening.
   *
   * @example const off = client.on("state", (s) => { if (s === "disconnected") pause(); });
   */
  on(event: "state", listener: (state: ConnectionState) => void): () => void {
    if (event !== "state") throw new TypeError(`unknown event ${String(event)}`);
    return this.#session.onState(listener);
  }

  /**
   * Connection-state changes as an async iterator; it ends after a final state.
   *
   * @example for await (const s of client.states({ signal })) console.log(s);
   */
  states(opts: { signal?: AbortSignal; capacity?: number } = {}): AsyncIterableIterator<ConnectionState> {
    let unsubscribe = () => {};
    const queue = new EventQueue<ConnectionState>({ capacity: opts.capacity ?? 1000, signal: opts.signal, onStop: () => unsubscribe() });
    if (this.#session.terminal) {
      queue.end();
      return queue;
    }
    unsubscribe = this.#session.onState((state) => {
      queue.push(state);
      if (this.#session.terminal) queue.end();
    });
    return queue;
  }

  /**
   * Closes the session (closeSession, so ephemerals go at once) and releases every timer and socket.
   *
   * @example await client.close();
   */
  close(): Promise<void> {
    return this.#session.close();
  }

  /** `await using client = createClient(...)` closes the session at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- znodes --------------------------------------------------------------------------------

  /**
   * Creates a znode (create2 / createContainer / createTTL by mode) and returns its actual path
   * (sequential modes add a 10-digit counter) and Stat.
   *
   * @example const { path } = await client.create("/locks/lock-", null, { mode: CreateMode.EPHEMERAL_SEQUENTIAL });
   */
  create(path: string, data: Data | null = null, opts: CreateOptions = {}): Promise<CreateResult> {
    const op = createOp(path, data, opts);
    const info = createModeInfo(op.mode);
    if (info === undefined) return Promise.reject(new KeeperError(ErrorCode.BADARGUMENTS, path));
    const bad = badPath(path, info.sequential);
    if (bad !== undefined) return Promise.reject(bad);
    const s = this.#session;
    const spec = rq.createRequest(s.toServer(path), op.data, op.acl, op.mode, op.ttlMs, (p) => s.toClient(p));
    return s.submit(spec, { path, sizeHintBytes: path.length * 3 + (op.data?.length ?? 0) });
  }

  /**
   * Deletes a znode; `version` -1 (the default) matches any version.
   *
   * @example await client.delete("/jobs/job-0000000001", stat.version);
   */
  delete(path: string, version = -1): Promise<void> {
    const bad = badPath(path);
    if (bad !== undefined) return Promise.reject(bad);
    return this.#session.submit(rq.deleteRequest(this.#session.toServer(path), version), { path });
  }

  /**
   * The znode's Stat, or null when it does not exist. A watch fires on create, delete or change.
   *
   * @example const stat = await client.exists("/ready", { watch: () => wakeUp() });
   */
  exists(path: string, opts: WatchOptions = {}): Promise<Stat | null> {
    const bad = badPath(path);
    if (bad !== undefined) return Promise.reject(bad);
    const watch = opts.watch;
    return this.#session.submit(rq.existsRequest(this.#session.toServer(path), watch !== undefined), {
      path,
      watch: watch === undefined ? undefined : { kind: OneShotKind.data, path, watcher: watch },
      okWhen: { code: ErrorCode.NONODE, value: null },
    });
  }

  /**
   * The znode's data and Stat. A watch fires on the next change or delete.
   *
   * @example const { data } = await client.getData("/config");
   */
  getData(path: string, opts: WatchOptions = {}): Promise<DataResult> {
    const bad = badPath(path);
    if (bad !== undefined) return Promise.reject(bad);
    return this.#session.submit(rq.getDataRequest(this.#session.toServer(path), opts.watch !== undefined), {
      path,
      watch: this.#oneShot(OneShotKind.data, path, opts.watch),
    });
  }

  /**
   * The ensemble's configuration (`/zookeeper/config`, read past any chroot, as the Java client's
   * getConfig). A standalone server has none: empty data.
   *
   * @example const { data } = await client.getConfig();
   */
  getConfig(opts: WatchOptions = {}): Promise<DataResult> {
    return this.#session.submit(rq.getDataRequest(CONFIG_PATH, opts.watch !== undefined), {
      path: CONFIG_PATH,
      watch: this.#oneShot(OneShotKind.data, CONFIG_PATH, opts.watch),
    });
  }

  /**
   * Replaces the data; `version` -1 (the default) matches any version. Returns the new Stat.
   *
   * @example const stat = await client.setData("/config", "v2", 4);
   */
  setData(path: string, data: Data | null, version = -1): Promise<Stat> {
    const bad = badPath(path);
    if (bad !== undefined) return Promise.reject(bad);
    const bytes = toBytes(data);
    return this.#session.submit(rq.setDataRequest(this.#session.toServer(path), bytes, version), {
      path,
      sizeHintBytes: path.length * 3 + (bytes?.length ?? 0),
    });
  }

  /**
   * The children's names (unsorted, as the server keeps them) and the parent's Stat. A watch fires
   * when a child is created or deleted, or the node is deleted.
   *
   * @example const { children } = await client.getChildren("/workers", { watch: rescan });
   */
  getChildren(path: string, opts: WatchOptions = {}): Promise<ChildrenResult> {
    const bad = badPath(path);
    if (bad !== undefined) return Promise.reject(bad);
    return this.#session.submit(rq.getChildrenRequest(this.#session.toServer(path), opts.watch !== undefined), {
      path,
      watch: this.#oneShot(OneShotKind.child, path, opts.watch),
    });
  }

  /**
   * The znode's ACL and Stat.
   *
   * @example const { acl } = await client.getACL("/secret");
   */
  getACL(path: string): Promise<AclResult> {
    const bad = badPath(path);
    if (bad !== undefined) return Promise.reject(bad);
    return this.#session.submit(rq.getAclRequest(this.#session.toServer(path)), { path });
  }

  /**
   * Replaces the ACL; `version` is the ACL version (Stat.aversion), -1 for any.
   *
   * @example await client.setACL("/secret", Acls.READ_ACL_UNSAFE);
   */
  setACL(path: string, acl: readonly ACL[], version = -1): Promise<Stat> {
    const bad = badPath(path);
    if (bad !== undefined) return Promise.reject(bad);
    return this.#session.submit(rq.setAclRequest(this.#session.toServer(path), acl, version), { path });
  }

  /**
   * Waits until the server this client talks to has caught up with the leader for `path`.
   *
   * @example await client.sync("/", { signal: AbortSignal.timeout(2000) });
   */
  sync(path: string, opts: { signal?: AbortSignal } = {}): Promise<string> {
    const bad = badPath(path);
    if (bad !== undefined) return Promise.reject(bad);
    const s = this.#session;
    return raceAbort(s.submit(rq.syncRequest(s.toServer(path), (p) => s.toClient(p)), { path }), opts.signal);
  }

  /**
   * This session's ephemeral nodes whose path starts with `prefixPath` (a string prefix).
   *
   * @example const mine = await client.getEphemerals("/locks");
   */
  getEphemerals(prefixPath = "/"): Promise<string[]> {
    const bad = badPath(prefixPath);
    if (bad !== undefined) return Promise.reject(bad);
    const s = this.#session;
    const spec = rq.getEphemeralsRequest(s.toServer(prefixPath), (p) => s.toClient(p), (p) => s.inChroot(p));
    return s.submit(spec, { path: prefixPath });
  }

  /**
   * The number of descendants of `path` (not counting itself).
   *
   * @example const n = await client.getAllChildrenNumber("/jobs");
   */
  getAllChildrenNumber(path: string): Promise<number> {
    const bad = badPath(path);
    if (bad !== undefined) return Promise.reject(bad);
    return this.#session.submit(rq.getAllChildrenNumberRequest(this.#session.toServer(path)), { path });
  }

  // ---- multi -----------------------------------------------------------------------------------

  /**
   * Applies ops atomically. On failure throws MultiError (a KeeperError) with per-op results.
   *
   * @example await client.multi([{ op: "check", path: "/a", version: 1 }, { op: "delete", path: "/a/b", version: -1 }]);
   */
  multi(ops: readonly Op[]): Promise<OpResult[]> {
    for (const op of ops) {
      const bad = badPath(op.path, op.op === "create" && createModeInfo(op.mode)?.sequential === true);
      if (bad !== undefined) return Promise.reject(bad);
    }
    const s = this.#session;
    const spec = {
      opCode: OpCode.multi,
      write: (w: Parameters<typeof writeMultiOps>[0]) => writeMultiOps(w, ops, (p) => s.toServer(p)),
      decode: (r: Parameters<typeof readMultiResults>[0]) => readMultiResults(r, ops.length, (p) => s.toClient(p)),
    };
    return s.submit(spec, { sizeHintBytes: ops.length * 64 }).then((results) => checkMultiResults(ops, results));
  }

  /**
   * A builder for multi: `client.transaction().create(...).setData(...).commit()`.
   *
   * @example await client.transaction().create("/a", "1").create("/a/b", "2").commit();
   */
  transaction(): Transaction {
    return new Transaction((ops) => this.multi(ops));
  }

  /**
   * Several reads in one round trip; each read succeeds or fails on its own.
   *
   * @example const [a, b] = await client.multiRead([{ op: "getData", path: "/a" }, { op: "getChildren", path: "/b" }]);
   */
  multiRead(ops: readonly ReadOp[]): Promise<ReadResult[]> {
    for (const op of ops) {
      const bad = badPath(op.path);
      if (bad !== undefined) return Promise.reject(bad);
    }
    const s = this.#session;
    return s.submit({
      opCode: OpCode.multiRead,
      write: (w) => writeReadOps(w, ops, (p) => s.toServer(p)),
      decode: (r) => readReadResults(r, ops.length),
    });
  }

  // ---- watches ---------------------------------------------------------------------------------

  /**
   * Adds a persistent (optionally recursive) watch; the listener gets every event until removed.
   * It also gets connection-state events (type None): a persistent watch misses changes made
   * while disconnected, so a cache must re-read after `SyncConnected`.
   *
   * @example const w = await client.addWatch("/services", (e) => console.log(e), { recursive: true });
   */
  async addWatch(path: string, listener: Watcher, opts: { recursive?: boolean } = {}): Promise<PersistentWatch> {
    const bad = badPath(path);
    if (bad !== undefined) throw bad;
    const recursive = opts.recursive === true;
    const s = this.#session;
    const mode = recursive ? AddWatchMode.PersistentRecursive : AddWatchMode.Persistent;
    await s.submit(rq.addWatchRequest(s.toServer(path), mode), { path });
    s.watches.addPersistent(path, recursive, listener);
    let removed = false;
    return {
      path,
      recursive,
      remove: async () => {
        if (removed) return;
        removed = true;
        if (!s.watches.removePersistent(path, recursive, listener) || s.terminal) return;
        await this.#removePersistentOnServer(path, recursive);
      },
    };
  }

  /**
   * Servers before 3.9 know only the Children/Data/Any watcher types (Persistent ones answer
   * MarshallingError). There, Any is the only way to drop a persistent watch, and since it also
   * drops our other watches on the path it is sent only when no other local watch remains.
   */
  async #removePersistentOnServer(path: string, recursive: boolean): Promise<void> {
    const s = this.#session;
    const serverPath = s.toServer(path);
    if (!this.#legacyWatchRemoval) {
      try {
        const type = recursive ? WatcherType.PersistentRecursive : WatcherType.Persistent;
        await s.submit(rq.watchesRequest(OpCode.removeWatches, serverPath, type), { path });
        return;
      } catch (err) {
        const unknownType = err instanceof KeeperError &&
          (err.code === ErrorCode.MARSHALLINGERROR || err.code === ErrorCode.BADARGUMENTS);
        if (!unknownType) throw err;
        this.#legacyWatchRemoval = true;
      }
    }
    if (s.watches.hasAny(path)) return;
    await s.submit(rq.watchesRequest(OpCode.removeWatches, serverPath, WatcherType.Any), { path });
  }

  /**
   * Persistent events as an async iterator. Leaving the loop (break, return, abort) removes
   * the watch on the server. After session expiry or close it yields that state event and ends.
   *
   * @example
   * for await (const event of client.watch("/services", { recursive: true, signal })) {
   *   if (event.type === EventType.NodeCreated) register(event.path);
   * }
   */
  watch(path: string, opts: WatchIteratorOptions = {}): WatchIterator {
    let registration: Promise<PersistentWatch> | undefined;
    const queue = new EventQueue<WatchedEvent>({
      capacity: opts.capacity ?? 10_000,
      signal: opts.signal,
      onStop: async () => (await registration?.catch(() => undefined))?.remove(),
    });
    const listener: Watcher = (event) => {
      if (event.type === EventType.PersistentWatchRemoved) {
        queue.end();
        return;
      }
      queue.push(event);
      if (event.type === EventType.None && this.#session.terminal) queue.end();
    };
    registration = this.addWatch(path, listener, { recursive: opts.recursive });
    const ready = registration.then(() => undefined);
    ready.catch((err: Error) => queue.fail(err));
    return Object.assign(queue, { ready });
  }

  /**
   * Removes all watches of a WatcherType on a path, here and on the server; each removed watcher
   * hears DataWatchRemoved / ChildWatchRemoved / PersistentWatchRemoved. With `local`, a lost
   * connection does not stop the local removal.
   *
   * @example await client.removeWatches("/config", WatcherType.Data);
   */
  async removeWatches(path: string, type: number, opts: { local?: boolean } = {}): Promise<void> {
    const bad = badPath(path);
    if (bad !== undefined) throw bad;
    const s = this.#session;
    // As the Java client: a watch this client never set is NoWatcher before anything is sent.
    if (!s.watches.hasLocal(path, type)) throw new KeeperError(ErrorCode.NOWATCHER, path);
    try {
      await s.submit(rq.watchesRequest(OpCode.removeWatches, s.toServer(path), type), { path });
    } catch (err) {
      const lostButLocal = opts.local === true && err instanceof KeeperError && err.code === ErrorCode.CONNECTIONLOSS;
      if (!lostButLocal) throw err;
    }
    for (const { watcher, event } of s.watches.removeLocal(path, type, StateCode.SyncConnected)) s.deliver([watcher], event);
  }

  /**
   * Resolves when the server holds a watch of this WatcherType on the path; NoWatcher otherwise.
   *
   * @example await client.checkWatches("/config", WatcherType.Data);
   */
  checkWatches(path: string, type: number): Promise<void> {
    const bad = badPath(path);
    if (bad !== undefined) return Promise.reject(bad);
    return this.#session.submit(rq.watchesRequest(OpCode.checkWatches, this.#session.toServer(path), type), { path });
  }

  // ---- auth ------------------------------------------------------------------------------------

  /**
   * Adds credentials to the session (re-sent after every reconnect). An unknown scheme or bad
   * credentials end the session with AuthFailed, as in ZooKeeper.
   *
   * @example await client.addAuth("digest", "alice:secret");
   */
  addAuth(scheme: string, auth: Data): Promise<void> {
    return this.#session.addAuth(scheme, typeof auth === "string" ? encoder.encode(auth) : auth);
  }

  /**
   * The identities the server has authenticated for this session.
   *
   * @example const ids = await client.whoAmI(); // [{ authScheme: "ip", user: "127.0.0.1" }]
   */
  whoAmI(): Promise<ClientInfo[]> {
    return this.#session.submit(rq.whoAmIRequest());
  }

  #oneShot(kind: OneShotKind, path: string, watcher: Watcher | undefined) {
    return watcher === undefined ? undefined : { kind, path, watcher };
  }
}

function terminalError(status: ClientStatus): KeeperError {
  return new KeeperError(status === "authFailed" ? ErrorCode.AUTHFAILED : ErrorCode.SESSIONEXPIRED);
}

