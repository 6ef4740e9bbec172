import { type JuteReader, readStat, type Stat as WireStat } from "../proto/mod.ts";
import { jsonSafe } from "./json_safe.ts";

/**
 * A znode's metadata as the client hands it out: ZooKeeper's Stat with the times as numbers
 * (ms since the epoch, always exact) and the zxids and the ephemeral owner as exact bigints.
 * `JSON.stringify(stat)` works: bigints become decimal strings.
 *
 * @example const { stat } = await client.getData("/a"); new Date(stat.mtime); stat.mzxid > seen;
 */
export interface Stat {
  czxid: bigint;
  mzxid: bigint;
  /** Creation time, ms since the epoch. */
  ctime: number;
  /** Last modification time, ms since the epoch. */
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  /** The owning session for an ephemeral; 0 otherwise (containers and TTL nodes encode their kind here). */
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}

/** The client's view of a Stat read off the wire. */
export function clientStat(s: WireStat): Stat {
  return jsonSafe({
    czxid: s.czxid,
    mzxid: s.mzxid,
    ctime: Number(s.ctime),
    mtime: Number(s.mtime),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: s.ephemeralOwner,
    dataLength: s.dataLength,
    numChildren: s.numChildren,
    pzxid: s.pzxid,
  });
}

/** Reads a Stat from a reply body. */
export function readClientStat(r: JuteReader): Stat {
  return clientStat(readStat(r));
}
