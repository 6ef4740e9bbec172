import type { ACL, Stat } from "../proto/records.ts";
import type { JuteWriter } from "../proto/jute_writer.ts";

/** One znode: its data, ACL and the persisted part of its Stat, plus its children's names. */
export interface ZNode {
  data: Uint8Array;
  acl: readonly ACL[];
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: bigint;
  /** Child names in insertion order. */
  children: Set<string>;
  /** The largest number of children the node ever held (drives the Java HashSet order). */
  childrenPeak: number;
}

export function newZNode(
  fields: { data: Uint8Array; acl: readonly ACL[]; zxid: bigint; time: bigint; ephemeralOwner: bigint },
): ZNode {
  return {
    data: fields.data,
    acl: fields.acl,
    czxid: fields.zxid,
    mzxid: fields.zxid,
    ctime: fields.time,
    mtime: fields.time,
    version: 0,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: fields.ephemeralOwner,
    pzxid: fields.zxid,
    children: new Set(),
    childrenPeak: 0,
  };
}

/** A copy of the node's Stat as clients see it. */
export function statOf(node: ZNode): Stat {
  return {
    czxid: node.czxid,
    mzxid: node.mzxid,
    ctime: node.ctime,
    mtime: node.mtime,
    version: node.version,
    cversion: node.cversion,
    aversion: node.aversion,
    ephemeralOwner: node.ephemeralOwner,
    dataLength: node.data.length,
    numChildren: node.children.size,
    pzxid: node.pzxid,
  };
}

/** Writes the node's Stat straight from the node (no Stat object on the read hot path). */
export function writeNodeStat(w: JuteWriter, node: ZNode): void {
  w.long(node.czxid).long(node.mzxid).long(node.ctime).long(node.mtime);
  w.int(node.version).int(node.cversion).int(node.aversion);
  w.long(node.ephemeralOwner).int(node.data.length).int(node.children.size).long(node.pzxid);
}
