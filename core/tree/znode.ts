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
  /** The children in ZooKeeper's order, computed on the first getChildren after a change. */
  childOrder: readonly string[] | null;
  /** This node's share of the tree digest (tree_digest.ts), kept by the DataTree that holds it. */
  digest: number;
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
    childOrder: null,
    // -0 is not a small integer: the field starts as a double, as every digest (up to 2^32) is,
    // so V8 never has to migrate ZNode objects to a new field layout.
    digest: -0,
  };
}

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
 * The cversion clients see. The stored cversion counts child creates (it also drives sequence
 * numbers); ZooKeeper reports creates plus deletes, i.e. twice the creates minus the children left.
 */
export function visibleCversion(node: ZNode): number {
  return (node.cversion * 2 - node.children.size) | 0;
}

const EXTENDED_OWNER_MASK = -0x100000000000000n;

/**
 * The ephemeralOwner clients see: the session for an ephemeral, 0 for everything else
 * (containers and TTL nodes keep their marker internally; ZooKeeper reports 0 for them).
 */
export function visibleOwner(node: ZNode): bigint {
  const owner = node.ephemeralOwner;
  if (owner === -0x8000000000000000n || (owner & EXTENDED_OWNER_MASK) === EXTENDED_OWNER_MASK) return 0n;
  return owner;
}

/** A copy of the node's Stat as clients see it. */
export function statOf(node: ZNode): Stat {
  return {
    czxid: node.czxid,
    mzxid: node.mzxid,
    ctime: node.ctime,
    mtime: node.mtime,
    version: node.version,
    cversion: visibleCversion(node),
    aversion: node.aversion,
    ephemeralOwner: visibleOwner(node),
    dataLength: node.data.length,
    numChildren: node.children.size,
    pzxid: node.pzxid,
  };
}

/** Writes the node's Stat straight from the node (no Stat object on the read hot path). */
export function writeNodeStat(w: JuteWriter, node: ZNode): void {
  w.long(node.czxid).long(node.mzxid).long(node.ctime).long(node.mtime);
  w.int(node.version).int(visibleCversion(node)).int(node.aversion);
  w.long(visibleOwner(node)).int(node.data.length).int(node.children.size).long(node.pzxid);
}
