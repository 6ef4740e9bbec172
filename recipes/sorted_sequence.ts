/**
 * The sorted-sequence primitive under every lock, lease and election here (Curator's LockInternals
 * idea): a protected ephemeral-sequential node per participant, siblings sorted by the counter,
 * and a small driver that says "you hold it" or "watch this one node" (never the whole directory,
 * so a release wakes one waiter, not the herd).
 *
 * Node names follow Curator: `_c_<uuid>-<lockName><10-digit counter>`, so Curator and Paddock
 * participants share one directory and agree on the order.
 */
import { type Client, CreateMode, type Data, ErrorCode, KeeperError, type Stat } from "../core/client/mod.ts";
import { isKeeperCode, raceAbort } from "./recipe_state.ts";

/** Curator's prefix for protected nodes: `_c_` + uuid + `-`. */
export const PROTECTED_PREFIX = "_c_";
const UUID_LENGTH = 36;
/** Attempts before an operation that keeps meeting ConnectionLoss gives up (each waits for a reconnect). */
const RECONNECT_ATTEMPTS_MAX = 100;
/** Rounds of list-sort-watch before waitForTurn asserts: each round needs a change in the directory. */
const TURN_ROUNDS_MAX = 1_000_000;

/** What a driver decides for one participant. */
export interface SequenceDecision {
  /** True when this participant holds the lock / lease / leadership now. */
  holds: boolean;
  /** Otherwise the sibling (a name in the directory) whose deletion may change the answer. */
  watch?: string;
}

/**
 * Decides from the sorted siblings whether `ourName` holds, and whom it watches.
 *
 * @example const driver: SequenceDriver = (sorted, ours) => ({ holds: sorted[0] === ours, watch: sorted[0] });
 */
export type SequenceDriver = (sorted: readonly string[], ourName: string) => SequenceDecision;

/** A created protected node. */
export interface SequenceNode {
  /** Full path, e.g. `/locks/a/_c_8d1...-lock-0000000003`. */
  path: string;
  /** The last path segment. */
  name: string;
  stat: Stat;
}

/**
 * The part of a node name that orders it: what follows the last occurrence of each lock name
 * (Curator's fixForSorting, applied once per name so read and write nodes sort together).
 *
 * @example sequenceKey("_c_x-lock-0000000007", ["lock-"]) === "0000000007"
 */
export function sequenceKey(name: string, lockNames: readonly string[]): string {
  let key = name;
  for (const lockName of lockNames) {
    const at = key.lastIndexOf(lockName);
    if (at >= 0) key = key.slice(at + lockName.length);
  }
  return key;
}

/**
 * Siblings in acquisition order (by counter), as Curator sorts them.
 *
 * @example sortBySequence(["_c_b-lock-0000000002", "_c_a-lock-0000000001"], ["lock-"])
 */
export function sortBySequence(children: readonly string[], lockNames: readonly string[]): string[] {
  const keyed = children.map((name) => ({ name, key: sequenceKey(name, lockNames) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.name);
}

/**
 * The driver of mutexes and semaphores: the first `maxLeases` hold; a waiter watches the node
 * `maxLeases` places before it (its predecessor when maxLeases is 1).
 *
 * @example const decision = standardDriver(1)(sorted, ourName);
 */
export function standardDriver(maxLeases: number): SequenceDriver {
  if (!(maxLeases >= 1)) throw new RangeError(`maxLeases must be >= 1, got ${maxLeases}`);
  return (sorted, ourName) => {
    const index = sorted.indexOf(ourName);
    if (index < 0) throw new KeeperError(ErrorCode.NONODE, ourName);
    if (index < maxLeases) return { holds: true };
    return { holds: false, watch: sorted[index - maxLeases] };
  };
}

/** True for the errors that mean "the op may or may not have run; the session is still alive". */
export function isConnectionLoss(error: unknown): boolean {
  return error instanceof KeeperError && (error.code === ErrorCode.CONNECTIONLOSS || error.code === ErrorCode.OPERATIONTIMEOUT);
}

/**
 * Runs an idempotent op; on ConnectionLoss waits for the client to reconnect and runs it again.
 * Session expiry, close and abort end it.
 *
 * @example const { children } = await whenConnected(client, () => client.getChildren("/locks"), signal);
 */
export async function whenConnected<T>(client: Client, op: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await op();
    } catch (err) {
      if (!isConnectionLoss(err) || attempt >= RECONNECT_ATTEMPTS_MAX) throw err;
    }
    await client.ready({ signal, wait: true });
  }
}

/**
 * Creates every missing ancestor of `path` as a container node (as Curator's
 * creatingParentContainersIfNeeded): the server removes it once its last child is gone.
 *
 * @example await ensureContainers(client, "/locks/orders"); // creates /locks and /locks/orders
 */
export async function ensureContainers(client: Client, path: string, signal?: AbortSignal): Promise<void> {
  const parts = path.split("/").filter((p) => p !== "");
  let current = "";
  for (const part of parts) {
    current += "/" + part;
    try {
      await whenConnected(client, () => client.create(current, null, { mode: CreateMode.CONTAINER }), signal);
    } catch (err) {
      if (!isKeeperCode(err, ErrorCode.NODEEXISTS)) throw err;
    }
  }
}

/** What to create. */
export interface ProtectedCreateOptions {
  /** The directory (created as containers when missing). */
  dir: string;
  /** The lock name, e.g. "lock-", "__READ__", "latch-", "lease-". */
  lockName: string;
  data?: Data | null;
  signal?: AbortSignal;
}

/**
 * Creates `<dir>/_c_<uuid>-<lockName><counter>` as EPHEMERAL_SEQUENTIAL. When the reply is lost
 * (ConnectionLoss), the node may exist anyway: after the reconnect the siblings are searched for
 * the uuid, so a create is never left behind as an orphan that blocks everyone.
 *
 * @example const node = await createProtected(client, { dir: "/locks/a", lockName: "lock-" });
 */
export async function createProtected(client: Client, opts: ProtectedCreateOptions): Promise<SequenceNode> {
  const prefix = `${PROTECTED_PREFIX}${crypto.randomUUID()}-`;
  const base = `${opts.dir}/${prefix}${opts.lockName}`;
  for (let attempt = 1; attempt <= RECONNECT_ATTEMPTS_MAX; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      const { path, stat } = await client.create(base, opts.data ?? null, { mode: CreateMode.EPHEMERAL_SEQUENTIAL });
      return { path, name: lastSegment(path), stat };
    } catch (err) {
      if (isKeeperCode(err, ErrorCode.NONODE)) {
        await ensureContainers(client, opts.dir, opts.signal);
        continue;
      }
      if (!isConnectionLoss(err)) throw err;
    }
    await client.ready({ signal: opts.signal, wait: true });
    const found = await findProtected(client, opts.dir, prefix, opts.signal);
    if (found !== undefined) return found;
  }
  throw new KeeperError(ErrorCode.CONNECTIONLOSS, base);
}

/** The node whose name starts with this protected prefix, if the lost create did happen. */
async function findProtected(client: Client, dir: string, prefix: string, signal?: AbortSignal): Promise<SequenceNode | undefined> {
  let children: string[];
  try {
    children = (await whenConnected(client, () => client.getChildren(dir), signal)).children;
  } catch (err) {
    if (isKeeperCode(err, ErrorCode.NONODE)) return undefined;
    throw err;
  }
  const name = children.find((c) => c.startsWith(prefix));
  if (name === undefined) return undefined;
  const path = `${dir}/${name}`;
  const stat = await whenConnected(client, () => client.exists(path), signal);
  return stat === null ? undefined : { path, name, stat };
}

/** Where a participant waits. */
export interface TurnOptions {
  dir: string;
  ourName: string;
  /** Names stripped for sorting (see {@link sequenceKey}). */
  lockNames: readonly string[];
  driver: SequenceDriver;
  /** Only siblings this keeps take part (e.g. a directory shared with other node kinds). */
  filter?: (name: string) => boolean;
  signal?: AbortSignal;
}

/**
 * Waits until the driver says our node holds: list, sort, decide, and otherwise watch the one
 * sibling the driver names. Throws NoNode when our own node is gone (session loss), the signal's
 * reason on abort, and SessionExpired / ConnectionLoss from the client.
 *
 * @example await waitForTurn(client, { dir, ourName: node.name, lockNames: ["lock-"], driver: standardDriver(1), signal });
 */
export async function waitForTurn(client: Client, opts: TurnOptions): Promise<void> {
  for (let round = 0; round < TURN_ROUNDS_MAX; round++) {
    const sorted = await sortedSiblings(client, opts.dir, opts.lockNames, opts.filter, opts.signal);
    const decision = opts.driver(sorted, opts.ourName);
    if (decision.holds) return;
    if (decision.watch === undefined) throw new Error("a driver that does not hold must name a node to watch");
    await waitForDeletion(client, `${opts.dir}/${decision.watch}`, opts.signal);
  }
  throw new Error(`waitForTurn: more than ${TURN_ROUNDS_MAX} rounds`);
}

/**
 * The directory's children in sequence order (only those containing one of the lock names).
 *
 * @example const order = await sortedSiblings(client, "/election", ["latch-"]);
 */
export async function sortedSiblings(
  client: Client,
  dir: string,
  lockNames: readonly string[],
  filter?: (name: string) => boolean,
  signal?: AbortSignal,
): Promise<string[]> {
  const { children } = await whenConnected(client, () => client.getChildren(dir), signal);
  const ours = children.filter((c) => lockNames.some((n) => c.includes(n)) && (filter === undefined || filter(c)));
  return sortBySequence(ours, lockNames);
}

/**
 * Resolves when the node is deleted or changed (or already gone), the session ends, or on abort
 * (rejects with the reason). A getData watch, not exists: exists on a missing node would leave a
 * creation watch behind.
 *
 * @example await waitForDeletion(client, "/locks/a/_c_...-lock-0000000001", signal);
 */
export async function waitForDeletion(client: Client, path: string, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  let wake: () => void = () => {};
  const fired = new Promise<void>((resolve) => (wake = resolve));
  try {
    await whenConnected(client, () => client.getData(path, { watch: () => wake() }), signal);
  } catch (err) {
    if (isKeeperCode(err, ErrorCode.NONODE)) return;
    throw err;
  }
  await raceAbort(fired, signal);
}

/**
 * Deletes a node, retrying across reconnects; a node that is gone (or a session that ended, taking
 * its ephemerals along) counts as deleted.
 *
 * @example await deleteNode(client, lease.path);
 */
export async function deleteNode(client: Client, path: string, signal?: AbortSignal): Promise<void> {
  try {
    await whenConnected(client, () => client.delete(path), signal);
  } catch (err) {
    const gone = isKeeperCode(err, ErrorCode.NONODE) || isKeeperCode(err, ErrorCode.SESSIONEXPIRED) || client.state === "expired" ||
      client.state === "closed";
    if (!gone) throw err;
  }
}

/**
 * True for a Curator-style protected name (`_c_<uuid>-...`).
 *
 * @example isProtectedName("_c_0f8fad5b-d9cb-469f-a165-70867728950e-lock-0000000001") === true
 */
export function isProtectedName(name: string): boolean {
  return name.startsWith(PROTECTED_PREFIX) && name.length > PROTECTED_PREFIX.length + UUID_LENGTH &&
    name[PROTECTED_PREFIX.length + UUID_LENGTH] === "-";
}

/** The last path segment. */
export function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Combines signals: aborted when any is (AbortSignal.any is missing on older runtimes).
 *
 * @example const signal = anySignal([lease.signal, AbortSignal.timeout(5000)]);
 */
export function anySignal(signals: readonly (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  const any = (AbortSignal as { any?: (s: AbortSignal[]) => AbortSignal }).any;
  if (any !== undefined) return any(present);
  const controller = new AbortController();
  for (const s of present) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener("abort", () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}
