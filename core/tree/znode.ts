import type { Stat } from "../proto/records.ts";
import type { JuteWriter } from "../proto/jute_writer.ts";

/**
 * Znode data that a client set to null (-1 on the wire). ZooKeeper keeps null apart from empty
 * and returns it as null, so Paddock keeps this one instance to tell them apart.
 */
export const NULL_DATA: Uint8Array = new Uint8Array(0);

/** Writes znode data, null as -1. */
export function writeData(w: JuteWriter, data: Uint8Array): void {
  w.buffer(data === NULL_DATA ? null : data);
}

/**
 * A znode's Stat as clients see it, with zxids and times as (exact) numbers: what applying a txn
 * hands the reply. ephemeralOwner is kept as its two halves.
 */
export interface NodeStat {
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ownerHigh: number;
  ownerLow: number;
  dataLength: number;
  numChildren: number;
  pzxid: number;
}

/** Writes a {@link NodeStat} as a jute Stat. */
export function writeNodeStat(w: JuteWriter, s: NodeStat): void {
  w.longNumber(s.czxid).longNumber(s.mzxid).longNumber(s.ctime).longNumber(s.mtime);
  w.int(s.version).int(s.cversion).int(s.aversion);
  w.longHalves(s.ownerHigh, s.ownerLow).int(s.dataLength).int(s.numChildren).longNumber(s.pzxid);
}

/** A {@link NodeStat} as the protocol's Stat record (bigints). */
export function statRecord(s: NodeStat): Stat {
  return {
    czxid: BigInt(s.czxid),
    mzxid: BigInt(s.mzxid),
    ctime: BigInt(s.ctime),
    mtime: BigInt(s.mtime),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: (BigInt(s.ownerHigh) << 32n) | BigInt(s.ownerLow >>> 0),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
    pzxid: BigInt(s.pzxid),
  };
}

/**
 * The cversion clients see. The stored cversion counts child creates (it also drives sequence
 * numbers); ZooKeeper reports creates plus deletes, i.e. twice the creates minus the children left.
 */
export function visibleCversion(cversion: number, numChildren: number): number {
  return (cversion * 2 - numChildren) | 0;
}

/**
 * Whether clients see the owner as 0: containers (0x8000000000000000) and TTL nodes (high byte
 * 0xff) keep a marker internally, which ZooKeeper reports as 0; an ephemeral shows its session.
 */
export function ownerHidden(ownerHigh: number, ownerLow: number): boolean {
  return (ownerHigh === (0x80000000 | 0) && ownerLow === 0) || ownerHigh >>> 24 === 0xff;
}
