/**
 * Quotas as ZooKeeper keeps them: as znodes. `setquota` (a client command, not an op) creates
 * `/zookeeper/quota<path>/zookeeper_limits` holding the limits and `.../zookeeper_stats`; the
 * server finds the quota covering a path through an index of quota roots and keeps the stats
 * node's data current on every create, delete and setData of a node under the quota root.
 * Those stats updates change data only (no txn, no version, no watch), exactly as ZooKeeper's
 * DataTree.updateQuotaStat does, so replaying the log reproduces them.
 */

/** Parent of every quota node (Quotas.quotaZookeeper). */
export const QUOTA_ROOT = "/zookeeper/quota";
/** Name of the node holding a quota's limits (Quotas.limitNode). */
export const QUOTA_LIMIT_NODE = "zookeeper_limits";
/** Name of the node holding a quota's current usage (Quotas.statNode). */
export const QUOTA_STAT_NODE = "zookeeper_stats";

const COUNT = "count";
const BYTES = "bytes";
const COUNT_HARD_LIMIT = "countHardLimit";
const BYTE_HARD_LIMIT = "byteHardLimit";
/** No limit / unknown, as StatsTrack reports a missing key. */
const UNSET = -1;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Path of the limits node of the quota rooted at `path`. */
export function quotaLimitPath(path: string): string {
  return `${QUOTA_ROOT}${path}/${QUOTA_LIMIT_NODE}`;
}

/** Path of the stats node of the quota rooted at `path`. */
export function quotaStatPath(path: string): string {
  return `${QUOTA_ROOT}${path}/${QUOTA_STAT_NODE}`;
}

/**
 * The key/value text ZooKeeper's StatsTrack reads and writes, e.g.
 * `count=3,bytes=-1=;byteHardLimit=-1;countHardLimit=5`. Unknown keys are kept.
 *
 * @example parseStatsTrack("count=10,bytes=-1").get("count") // 10
 */
export function parseStatsTrack(text: string): Map<string, number> {
  const stats = new Map<string, number>();
  if (text === "") return stats;
  for (const pair of text.split(/[,;]+/)) {
    // Java's split drops trailing empty strings: "bytes=5=" is ["bytes", "5"].
    const [key, value] = pair.split("=");
    if (key === undefined || key === "") continue;
    const parsed = value === undefined || value === "" ? UNSET : Number.parseInt(value, 10);
    stats.set(key, Number.isNaN(parsed) ? UNSET : parsed);
  }
  return stats;
}

/**
 * StatsTrack.toString(): count and bytes first (old readers parse only those), then, after an
 * extra "=" that old parsers ignore, the other keys sorted, each after a ";".
 *
 * @example formatStatsTrack(new Map([["count", 2], ["bytes", 5]])) // "count=2,bytes=5"
 */
export function formatStatsTrack(stats: ReadonlyMap<string, number>): string {
  let text = `${COUNT}=${statValue(stats, COUNT)},${BYTES}=${statValue(stats, BYTES)}`;
  const others = [...stats.keys()].filter((k) => k !== COUNT && k !== BYTES).sort();
  if (others.length === 0) return text;
  text += "=";
  for (const key of others) text += `;${key}=${stats.get(key)}`;
  return text;
}

function statValue(stats: ReadonlyMap<string, number>, key: string): number {
  return stats.get(key) ?? UNSET;
}

/** What the quota tracker needs from the tree: read nodes, rewrite data without a txn. */
export interface QuotaTree {
  /** The data of the node at `path` (undefined: no such node). */
  dataAt(path: string): Uint8Array | undefined;
  /** The child names of the node at `path` (undefined: no such node). */
  childrenAt(path: string): readonly string[] | undefined;
  /** Replaces a node's data only: no version, zxid or watch change (ZooKeeper's updateQuotaStat). */
  replaceDataQuietly(path: string, data: Uint8Array): void;
}

/** A change that would pass a quota limit; `hard` ones are refused when quotas are enforced. */
export interface QuotaExceeded {
  /** The quota root the change falls under. */
  quotaPath: string;
  hard: boolean;
  /** ZooKeeper's log text: `Quota exceeded: /q [current count=4, hardCountLimit=3]`. */
  message: string;
}

/** Upper bound on nodes visited when recounting a subtree; a ZooKeeper tree holds far fewer. */
const SUBTREE_NODES_MAX = 100_000_000;

/**
 * The quota roots of a tree and the upkeep of their stats nodes (ZooKeeper's PathTrie plus the
 * quota parts of DataTree). The tree calls `created`/`deleted`/`dataChanged` after each change.
 */
export class QuotaTracker {
  readonly #tree: QuotaTree;
  /** Paths that have a limits node, e.g. "/app" for /zookeeper/quota/app/zookeeper_limits. */
  readonly #roots = new Set<string>();

  constructor(tree: QuotaTree) {
    this.#tree = tree;
  }

  /** The quota roots, for inspection. */
  get roots(): ReadonlySet<string> {
    return this.#roots;
  }

  /**
   * The deepest quota root at or above `path`, or null (getMaxPrefixWithQuota). A quota on "/"
   * is never kept, as in ZooKeeper.
   */
  quotaPathOf(path: string): string | null {
    if (this.#roots.size === 0) return null;
    let candidate = path;
    // Each step drops one path component, so the loop is bounded by the path's depth.
    for (let depth = 0; depth <= path.length && candidate.length > 1; depth++) {
      if (this.#roots.has(candidate)) return candidate;
      candidate = candidate.slice(0, candidate.lastIndexOf("/"));
    }
    return null;
  }

  /** A node was created with `dataBytes` of data. */
  created(path: string, dataBytes: number): void {
    // Most trees have no quota: nothing to split or look up for their writes.
    if (this.#roots.size === 0 && !path.startsWith(QUOTA_ROOT)) return;
    const { parentPath, name } = splitPath(path);
    if (parentPath.startsWith(QUOTA_ROOT)) {
      if (name === QUOTA_LIMIT_NODE) this.#roots.add(parentPath.slice(QUOTA_ROOT.length));
      if (name === QUOTA_STAT_NODE) this.recount(parentPath.slice(QUOTA_ROOT.length));
    }
    const quotaPath = this.quotaPathOf(path);
    if (quotaPath !== null) this.#addToStats(quotaPath, 1, dataBytes);
  }

  /** A node holding `dataBytes` of data was deleted. */
  deleted(path: string, dataBytes: number): void {
    if (this.#roots.size === 0 && !path.startsWith(QUOTA_ROOT)) return;
    const { parentPath, name } = splitPath(path);
    if (parentPath.startsWith(QUOTA_ROOT) && name === QUOTA_LIMIT_NODE) {
      this.#roots.delete(parentPath.slice(QUOTA_ROOT.length));
    }
    const quotaPath = this.quotaPathOf(path);
    if (quotaPath !== null) this.#addToStats(quotaPath, -1, -dataBytes);
  }

  /** A node's data changed size. */
  dataChanged(path: string, oldBytes: number, newBytes: number): void {
    const quotaPath = this.quotaPathOf(path);
    if (quotaPath !== null) this.#addToStats(quotaPath, 0, newBytes - oldBytes);
  }

  /** Rebuilds the roots and every stats node from the tree (after a snapshot load: setupQuota). */
  rebuild(): void {
    this.#roots.clear();
    const prefix = `${QUOTA_ROOT}/`;
    const suffix = `/${QUOTA_LIMIT_NODE}`;
    for (const path of this.#subtree(QUOTA_ROOT)) {
      if (!path.startsWith(prefix) || !path.endsWith(suffix)) continue;
      const quotaPath = path.slice(QUOTA_ROOT.length, path.length - suffix.length);
      this.recount(quotaPath);
      this.#roots.add(quotaPath);
    }
  }

  /** Sets the stats node of `quotaPath` to the subtree's real count and bytes (updateQuotaForPath). */
  recount(quotaPath: string): void {
    const statPath = quotaStatPath(quotaPath);
    if (this.#tree.dataAt(statPath) === undefined) return;
    let count = 0;
    let bytes = 0;
    for (const path of this.#subtree(quotaPath)) {
      count++;
      bytes += this.#tree.dataAt(path)!.length;
    }
    const stats = new Map([[COUNT, count], [BYTES, bytes]]);
    this.#tree.replaceDataQuietly(statPath, encoder.encode(formatStatsTrack(stats)));
  }

  /**
   * The limits that adding `countDiff` nodes and `bytesDiff` bytes under `path` would pass, in
   * ZooKeeper's order (count, then bytes); empty when none.
   * Checked against the applied tree, not against prepared changes, as ZooKeeper does: writes
   * in flight together may each pass the check and overshoot a hard limit together.
   */
  check(path: string, countDiff: number, bytesDiff: number): QuotaExceeded[] {
    const quotaPath = this.quotaPathOf(path);
    if (quotaPath === null) return [];
    const limits = this.#read(quotaLimitPath(quotaPath));
    if (limits === null) return [];
    const countHard = statValue(limits, COUNT_HARD_LIMIT);
    const byteHard = statValue(limits, BYTE_HARD_LIMIT);
    const checkCount = countDiff !== 0 && (statValue(limits, COUNT) > UNSET || countHard > UNSET);
    const checkBytes = bytesDiff !== 0 && (statValue(limits, BYTES) > UNSET || byteHard > UNSET);
    if (!checkCount && !checkBytes) return [];
    const current = this.#read(quotaStatPath(quotaPath));
    if (current === null) return [];
    const found: QuotaExceeded[] = [];
    const count = checkCount
      ? verdict(quotaPath, "count", "Count", statValue(current, COUNT) + countDiff, countHard, statValue(limits, COUNT))
      : null;
    if (count !== null) found.push(count);
    // ZooKeeper stops at a passed hard count limit before it looks at bytes.
    if (count?.hard === true || !checkBytes) return found;
    const bytes = verdict(quotaPath, "bytes", "Byte", statValue(current, BYTES) + bytesDiff, byteHard, statValue(limits, BYTES));
    if (bytes !== null) found.push(bytes);
    return found;
  }

  #read(path: string): Map<string, number> | null {
    const data = this.#tree.dataAt(path);
    return data === undefined ? null : parseStatsTrack(decoder.decode(data));
  }

  #addToStats(quotaPath: string, countDiff: number, bytesDiff: number): void {
    const statPath = quotaStatPath(quotaPath);
    const stats = this.#read(statPath);
    // A quota root without a stats node is a half-made quota; ZooKeeper logs and skips it too.
    if (stats === null) return;
    stats.set(COUNT, statValue(stats, COUNT) + countDiff);
    stats.set(BYTES, statValue(stats, BYTES) + bytesDiff);
    this.#tree.replaceDataQuietly(statPath, encoder.encode(formatStatsTrack(stats)));
  }

  /** Every path in the subtree at `root` (root included), depth first, without recursion. */
  *#subtree(root: string): IterableIterator<string> {
    const stack = [root];
    for (let visited = 0; stack.length > 0 && visited < SUBTREE_NODES_MAX; visited++) {
      const path = stack.pop()!;
      const children = this.#tree.childrenAt(path);
      if (children === undefined) continue;
      yield path;
      for (const child of children) stack.push(path === "/" ? `/${child}` : `${path}/${child}`);
    }
  }
}

/** The usage after a change against the limit that applies (hard if set, else soft). */
function verdict(
  quotaPath: string,
  what: "count" | "bytes",
  limitName: "Count" | "Byte",
  newValue: number,
  hardLimit: number,
  softLimit: number,
): QuotaExceeded | null {
  const hard = hardLimit > UNSET;
  const limit = hard ? hardLimit : softLimit;
  if (newValue <= limit) return null;
  const message = `Quota exceeded: ${quotaPath} [current ${what}=${newValue}, ${hard ? "hard" : "soft"}${limitName}Limit=${limit}]`;
  return { quotaPath, hard, message };
}

function splitPath(path: string): { parentPath: string; name: string } {
  const slash = path.lastIndexOf("/");
  return { parentPath: slash <= 0 ? "/" : path.slice(0, slash), name: path.slice(slash + 1) };
}
