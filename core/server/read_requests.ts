import { aclAllows, checkAcl } from "../acl/acl_check.ts";
import { Perms } from "../proto/acl_perms.ts";
import { ErrorCode } from "../proto/error_code.ts";
import { Refusal } from "../proto/refusal.ts";
import type { JuteReader } from "../proto/jute_reader.ts";
import type { JuteWriter } from "../proto/jute_writer.ts";
import { OpCode, Xid } from "../proto/op_code.ts";
import { type ACL, type Id, readMultiHeader, readSetWatches, writeAcls, writeMultiHeader } from "../proto/records.ts";
import { AddWatchMode, EventType, WatcherType } from "../proto/watch_event.ts";
import { type DataTree, NO_SLOT } from "../tree/data_tree.ts";
import { WatchMode, type Watcher, type WatchTable } from "../watch/watch_manager.ts";
import { replyWriter } from "./replies.ts";

/** What a read needs from the connection it came on. */
export interface ReadContext {
  tree: DataTree;
  watcher: Watcher;
  authIds: readonly Id[];
  sessionId: bigint;
}

/** A read request could not be decoded: ZooKeeper answers MARSHALLINGERROR. */
export class BadReadRequest extends Error {}

/**
 * Executes a read against the applied tree and returns the framed reply (ZooKeeper's
 * FinalRequestProcessor for non-txn requests). Throws Refusal for error replies.
 */
export function executeRead(ctx: ReadContext, type: number, xid: number, body: JuteReader): Uint8Array {
  const zxid = ctx.tree.lastProcessedZxid;
  const w = replyWriter(xid, zxid, 0);
  switch (type) {
    case OpCode.getData:
      getData(ctx, w, body.string(), body.bool());
      break;
    case OpCode.exists:
      exists(ctx, w, body.string(), body.bool());
      break;
    case OpCode.getChildren:
    case OpCode.getChildren2:
      getChildren(ctx, w, body.string(), body.bool(), type === OpCode.getChildren2);
      break;
    case OpCode.getACL:
      getAcl(ctx, w, body.string());
      break;
    case OpCode.getAllChildrenNumber: {
      const path = body.string();
      readableNode(ctx, path);
      w.int(ctx.tree.descendantCount(path));
      break;
    }
    case OpCode.getEphemerals:
      w.ustrings(ephemerals(ctx, body.ustring()));
      break;
    case OpCode.sync:
      w.ustring(body.string());
      break;
    case OpCode.checkWatches:
    case OpCode.removeWatches:
      watchesOp(ctx, type, body.string(), body.int());
      break;
    case OpCode.addWatch:
      addWatch(ctx, body.string(), body.int());
      w.int(0);
      break;
    case OpCode.setWatches:
    case OpCode.setWatches2:
      setWatches(ctx, body, type === OpCode.setWatches2);
      // The reply carries the request's xid, as ZooKeeper's does: clients send -8, but the Java
      // client's NIO socket replaces it with its next xid and then expects that one back.
      return replyWriter(xid, zxid, 0, 20).finishFrame();
    case OpCode.whoAmI:
      whoAmI(ctx, w);
      break;
    case OpCode.multiRead:
      multiRead(ctx, w, body);
      break;
    case OpCode.ping:
      return replyWriter(Xid.ping, zxid, 0, 20).finishFrame();
    default:
      throw new BadReadRequest(`op ${type} is not a read`);
  }
  return w.finishFrame();
}

/** Looks a node up and checks READ; returns its slot. */
function readableNode(ctx: ReadContext, path: string): number {
  const slot = ctx.tree.find(path);
  if (slot === NO_SLOT) throw new Refusal(ErrorCode.NONODE, path);
  checkAcl(ctx.tree.aclOf(slot), Perms.READ, ctx.authIds, path);
  return slot;
}

function getData(ctx: ReadContext, w: JuteWriter, path: string, watch: boolean): void {
  const slot = readableNode(ctx, path);
  if (watch) ctx.tree.watchData(path, ctx.watcher);
  ctx.tree.writeData(w, slot);
  ctx.tree.writeStat(w, slot);
}

function exists(ctx: ReadContext, w: JuteWriter, path: string, watch: boolean): void {
  if (path.includes("\u0000")) throw new Refusal(ErrorCode.BADARGUMENTS, path);
  const slot = ctx.tree.find(path);
  if (slot !== NO_SLOT) checkAcl(ctx.tree.aclOf(slot), Perms.READ, ctx.authIds, path);
  // An exists watch is set whether or not the node is there: it is how a client waits for a create.
  if (watch) ctx.tree.watchData(path, ctx.watcher);
  if (slot === NO_SLOT) throw new Refusal(ErrorCode.NONODE, path);
  ctx.tree.writeStat(w, slot);
}

function getChildren(ctx: ReadContext, w: JuteWriter, path: string, watch: boolean, withStat: boolean): void {
  const slot = readableNode(ctx, path);
  if (watch) ctx.tree.watchChildren(path, ctx.watcher);
  w.ustrings(ctx.tree.childrenOf(slot));
  if (withStat) ctx.tree.writeStat(w, slot);
}

function getAcl(ctx: ReadContext, w: JuteWriter, path: string): void {
  const slot = ctx.tree.find(path);
  if (slot === NO_SLOT) throw new Refusal(ErrorCode.NONODE, path);
  const nodeAcl = ctx.tree.aclOf(slot);
  checkAcl(nodeAcl, Perms.READ | Perms.ADMIN, ctx.authIds, path);
  // Without ADMIN a client may see who has access but not the digests (they can be brute-forced).
  const acl: readonly ACL[] = aclAllows(nodeAcl, Perms.ADMIN, ctx.authIds)
    ? nodeAcl
    : nodeAcl.map((a) =>
      a.id.scheme === "digest" ? { perms: a.perms, id: { scheme: "digest", id: a.id.id.replace(/:.*/s, ":x") } } : a
    );
  writeAcls(w, acl);
  ctx.tree.writeStat(w, slot);
}

function ephemerals(ctx: ReadContext, prefix: string | null): string[] {
  const all = ctx.tree.ephemeralsOf(ctx.sessionId);
  const trimmed = prefix?.trim() ?? "";
  if (trimmed === "" || trimmed === "/") return all;
  return all.filter((path) => path.startsWith(prefix!));
}

function watchesOp(ctx: ReadContext, type: number, path: string, watcherType: number): void {
  const found = type === OpCode.checkWatches
    ? hasWatch(ctx, path, watcherType)
    : removeWatch(ctx, path, watcherType);
  if (!found) throw new Refusal(ErrorCode.NOWATCHER, path);
}

const ANY_MODE = WatchMode.standard | WatchMode.persistent | WatchMode.persistentRecursive;

/**
 * Which modes of which table a WatcherType names, as ZooKeeper 3.9 matches them (ZOOKEEPER-4471,
 * ZOOKEEPER-4472): Children and Data name only one-shot watches, so removing them leaves a
 * persistent watch on the same path whole; Persistent names both halves of an addWatch(PERSISTENT);
 * Any names everything.
 */
function watchTargets(ctx: ReadContext, watcherType: number): [WatchTable, number][] {
  const { dataWatches, childWatches } = ctx.tree;
  switch (watcherType) {
    case WatcherType.Children:
      return [[childWatches, WatchMode.standard]];
    case WatcherType.Data:
      return [[dataWatches, WatchMode.standard]];
    case WatcherType.Persistent:
      return [[childWatches, WatchMode.persistent], [dataWatches, WatchMode.persistent]];
    case WatcherType.PersistentRecursive:
      return [[dataWatches, WatchMode.persistentRecursive]];
    case WatcherType.Any:
      return [[childWatches, ANY_MODE], [dataWatches, ANY_MODE]];
    default:
      throw new BadReadRequest(`unknown watcher type ${watcherType}`);
  }
}

function hasWatch(ctx: ReadContext, path: string, watcherType: number): boolean {
  return watchTargets(ctx, watcherType).some(([table, modes]) => table.has(path, ctx.watcher, modes));
}

function removeWatch(ctx: ReadContext, path: string, watcherType: number): boolean {
  let removed = false;
  for (const [table, modes] of watchTargets(ctx, watcherType)) removed = table.remove(path, ctx.watcher, modes) || removed;
  return removed;
}

function addWatch(ctx: ReadContext, path: string, mode: number): void {
  if (mode !== AddWatchMode.Persistent && mode !== AddWatchMode.PersistentRecursive) {
    throw new BadReadRequest(`unknown addWatch mode ${mode}`);
  }
  ctx.tree.addPersistentWatch(path, ctx.watcher, mode === AddWatchMode.PersistentRecursive);
}

/**
 * Re-registers a reconnecting client's watches; what changed since `relativeZxid` (the last zxid
 * the client saw) fires at once instead, so no change is missed across a reconnect.
 */
function setWatches(ctx: ReadContext, body: JuteReader, withPersistent: boolean): void {
  const s = readSetWatches(body, withPersistent);
  const { tree, watcher } = ctx;
  const fire = (type: number, path: string, slot: number) =>
    watcher.notify(type, path, -1n, slot === NO_SLOT ? null : tree.aclOf(slot));
  for (const path of s.dataWatches) {
    const slot = tree.find(path);
    if (slot === NO_SLOT) fire(EventType.NodeDeleted, path, slot);
    else if (BigInt(tree.store.mzxid(slot)) > s.relativeZxid) fire(EventType.NodeDataChanged, path, slot);
    else tree.watchData(path, watcher);
  }
  for (const path of s.existWatches) {
    const slot = tree.find(path);
    if (slot !== NO_SLOT) fire(EventType.NodeCreated, path, slot);
    else tree.watchData(path, watcher);
  }
  for (const path of s.childWatches) {
    const slot = tree.find(path);
    if (slot === NO_SLOT) fire(EventType.NodeDeleted, path, slot);
    else if (BigInt(tree.store.pzxid(slot)) > s.relativeZxid) fire(EventType.NodeChildrenChanged, path, slot);
    else tree.watchChildren(path, watcher);
  }
  for (const path of s.persistentWatches) tree.addPersistentWatch(path, watcher, false);
  for (const path of s.persistentRecursiveWatches) tree.addPersistentWatch(path, watcher, true);
}

function whoAmI(ctx: ReadContext, w: JuteWriter): void {
  w.int(ctx.authIds.length);
  for (const id of ctx.authIds) {
    const user = id.scheme === "digest" ? id.id.split(":")[0]! : id.scheme === "super" ? "" : id.id;
    w.ustring(id.scheme).ustring(user);
  }
}

const MULTI_READ_OPS_MAX = 100_000;

function multiRead(ctx: ReadContext, w: JuteWriter, body: JuteReader): void {
  const ops: { type: number; path: string }[] = [];
  for (let i = 0; ; i++) {
    if (i > MULTI_READ_OPS_MAX) throw new BadReadRequest("multiRead: too many ops");
    const h = readMultiHeader(body);
    if (h.done) break;
    if (h.type !== OpCode.getData && h.type !== OpCode.getChildren) {
      throw new BadReadRequest(`multiRead: invalid op ${h.type}`);
    }
    // ZooKeeper rebuilds each op from its path alone (Op.getData(path)): the watch flag is read and dropped.
    const path = body.string();
    body.bool();
    ops.push({ type: h.type, path });
  }
  for (const op of ops) multiReadOne(ctx, w, op);
  writeMultiHeader(w, { type: -1, done: true, err: -1 });
}

function multiReadOne(ctx: ReadContext, w: JuteWriter, op: { type: number; path: string }): void {
  let slot: number;
  try {
    slot = readableNode(ctx, op.path);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    writeMultiHeader(w, { type: OpCode.error, done: false, err: error.code });
    w.int(error.code);
    return;
  }
  writeMultiHeader(w, { type: op.type, done: false, err: 0 });
  if (op.type === OpCode.getData) {
    ctx.tree.writeData(w, slot);
    ctx.tree.writeStat(w, slot);
  } else {
    w.ustrings(ctx.tree.childrenOf(slot));
  }
}
