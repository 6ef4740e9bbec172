import { JuteReader } from "../proto/jute_reader.ts";
import { JuteWriter } from "../proto/jute_writer.ts";
import { type ACL, readAcls, writeAcls } from "../proto/records.ts";
import type { SessionTracker } from "../session/session_tracker.ts";
import type { DataTree } from "../tree/data_tree.ts";
import { NULL_DATA, writeData, type ZNode } from "../tree/znode.ts";

const FORMAT_VERSION = 1;

/**
 * Serializes the whole server state a snapshot needs: sessions with their timeouts, an ACL table
 * (most nodes share a few ACLs, as ZooKeeper's ACL cache exploits), and every znode, parents
 * before children (the tree's map keeps creation order, and a child can't outlive its parent).
 */
export function encodeSnapshot(tree: DataTree, sessions: SessionTracker): Uint8Array {
  const w = new JuteWriter(1 << 16);
  w.int(FORMAT_VERSION).long(tree.lastProcessedZxid);
  const sessionList = [...sessions.all()].filter((s) => !s.closing);
  w.int(sessionList.length);
  for (const session of sessionList) w.long(session.sessionId).int(session.timeoutMs);
  const aclIndex = new Map<readonly ACL[], number>();
  const aclTable: (readonly ACL[])[] = [];
  for (const node of tree.nodes.values()) {
    if (!aclIndex.has(node.acl)) {
      aclIndex.set(node.acl, aclTable.length);
      aclTable.push(node.acl);
    }
  }
  w.int(aclTable.length);
  for (const acl of aclTable) writeAcls(w, acl);
  w.int(tree.nodes.size);
  for (const [path, node] of tree.nodes) writeNode(w, path, node, aclIndex.get(node.acl)!);
  return w.bytes();
}

function writeNode(w: JuteWriter, path: string, node: ZNode, aclRef: number): void {
  w.ustring(path);
  writeData(w, node.data);
  w.int(aclRef);
  w.long(node.czxid).long(node.mzxid).long(node.ctime).long(node.mtime);
  w.int(node.version).int(node.cversion).int(node.aversion).long(node.ephemeralOwner).long(node.pzxid);
  w.int(node.childrenPeak);
}

/** Loads a snapshot into an empty tree and session tracker. */
export function decodeSnapshot(bytes: Uint8Array, tree: DataTree, sessions: SessionTracker, nowMs: number): void {
  const r = new JuteReader(bytes);
  const version = r.int();
  if (version !== FORMAT_VERSION) throw new Error(`snapshot: unknown format version ${version}`);
  tree.lastProcessedZxid = r.long();
  const sessionCount = r.vectorLength(12);
  for (let i = 0; i < sessionCount; i++) sessions.add(r.long(), r.int(), nowMs);
  const aclCount = r.vectorLength(4);
  const aclTable: ACL[][] = [];
  for (let i = 0; i < aclCount; i++) aclTable.push(readAcls(r) ?? []);
  const nodeCount = r.vectorLength(20);
  tree.nodes.clear();
  tree.approximateDataSize = 0;
  for (let i = 0; i < nodeCount; i++) readNode(r, tree, aclTable);
}

function readNode(r: JuteReader, tree: DataTree, aclTable: ACL[][]): void {
  const path = r.string();
  const data = r.buffer() ?? NULL_DATA;
  const acl = aclTable[r.int()];
  if (acl === undefined) throw new Error(`snapshot: ${path} names a missing ACL`);
  const node: ZNode = {
    data,
    acl,
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.long(),
    mtime: r.long(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    pzxid: r.long(),
    children: new Set(),
    childrenPeak: r.int(),
    childOrder: null,
  };
  tree.restoreNode(path, node);
}
