/**
 * Who takes part in an election and who leads, read from the sequence nodes (Curator stores each
 * participant's id as the node's data, for LeaderLatch and LeaderSelector alike).
 */
import { type Client, ErrorCode } from "../core/client/mod.ts";
import { isKeeperCode } from "./recipe_state.ts";
import { sortedSiblings, whenConnected } from "./sorted_sequence.ts";

/** One participant of an election. */
export interface Participant {
  /** The id it was started with (the node's data). */
  id: string;
  /** True for the first node in sequence order. */
  isLeader: boolean;
  /** Its node name. */
  name: string;
  /** When its node was created (ms since the epoch): since when it leads or waits. */
  sinceMs: number;
}

/** A leadership term: valid until `signal` aborts. */
export interface Leadership {
  /** The leader node's path. */
  readonly path: string;
  /** The leader node's czxid, growing with each new term: pass it to resources that fence. */
  readonly fencingToken: bigint;
  /** Aborted when the term ends (lost session, suspension beyond the grace period, close). */
  readonly signal: AbortSignal;
}

const decoder = new TextDecoder();

/**
 * The participants in sequence order; nodes deleted while being read are skipped.
 *
 * @example const leader = (await electionParticipants(client, "/election", "latch-"))[0];
 */
export async function electionParticipants(client: Client, dir: string, lockName: string, signal?: AbortSignal): Promise<Participant[]> {
  let sorted: string[];
  try {
    sorted = await sortedSiblings(client, dir, [lockName], undefined, signal);
  } catch (err) {
    if (isKeeperCode(err, ErrorCode.NONODE)) return [];
    throw err;
  }
  const participants: Participant[] = [];
  for (const name of sorted) {
    try {
      const { data, stat } = await whenConnected(client, () => client.getData(`${dir}/${name}`), signal);
      participants.push({ id: decoder.decode(data ?? undefined), isLeader: participants.length === 0, name, sinceMs: Number(stat.ctime) });
    } catch (err) {
      if (!isKeeperCode(err, ErrorCode.NONODE)) throw err;
    }
  }
  return participants;
}
