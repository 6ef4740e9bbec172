/** What a member says it is doing, from its `srvr` answer (or why it said nothing). */
export const ServingMode = {
  leader: "leader",
  follower: "follower",
  observer: "observer",
  standalone: "standalone",
  /** Up, but not serving: looking for a leader, or syncing with one. */
  notServing: "not serving",
  /** Nothing answered on the client port. */
  unreachable: "unreachable",
  /** The process is paused or dead, so it was not asked. */
  down: "down",
} as const;
/** One of {@link ServingMode}. */
export type ServingMode = (typeof ServingMode)[keyof typeof ServingMode];

/** The parts of a `srvr` answer the harness uses. */
export interface SrvrFacts {
  mode: ServingMode;
  zxid?: bigint;
  nodeCount?: number;
}

const MODES: Record<string, ServingMode> = {
  leader: ServingMode.leader,
  follower: ServingMode.follower,
  observer: ServingMode.observer,
  standalone: ServingMode.standalone,
  "read-only": ServingMode.notServing,
};

/**
 * Reads ZooKeeper's `srvr` answer (`Zxid: 0x...`, `Mode: follower`, `Node count: N`); the
 * "not currently serving requests" answer and anything without a Mode line mean not serving.
 *
 * @example parseSrvr("Zxid: 0x100000002\nMode: leader\nNode count: 5\n") // { mode: "leader", zxid: 4294967298n, nodeCount: 5 }
 */
export function parseSrvr(answer: string): SrvrFacts {
  const mode = /^Mode: (\S+)/m.exec(answer)?.[1];
  if (mode === undefined) return { mode: ServingMode.notServing };
  const zxid = /^Zxid: (0x[0-9a-fA-F]+)/m.exec(answer)?.[1];
  const nodeCount = /^Node count: (\d+)/m.exec(answer)?.[1];
  return {
    mode: MODES[mode] ?? ServingMode.notServing,
    ...(zxid === undefined ? {} : { zxid: BigInt(zxid) }),
    ...(nodeCount === undefined ? {} : { nodeCount: Number(nodeCount) }),
  };
}
