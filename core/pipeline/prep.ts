import { NULL_DATA } from "../tree/znode.ts";
import { checkAcl, fixupAcl } from "../acl/acl_check.ts";
import { checkReconfig, type EnsembleConfig, readReconfigRequest } from "./prep_reconfig.ts";
import { Perms } from "../proto/acl_perms.ts";
import { createModeInfo } from "../proto/create_mode.ts";
import { ErrorCode } from "../proto/error_code.ts";
import { Refusal } from "../proto/refusal.ts";
import { JuteError, type JuteReader } from "../proto/jute_reader.ts";
import { OpCode, opName } from "../proto/op_code.ts";
import { pathProblem } from "../proto/path.ts";
import { type ACL, readAcls, readAclsShared, readMultiHeader, type Id } from "../proto/records.ts";
import { CONFIG_NODE, type DataTree, NO_SLOT, QUOTA_NODE, ROOT, ZOOKEEPER_NODE } from "../tree/data_tree.ts";
import { CONTAINER_OWNER, EphemeralKind, ephemeralKind, TTL_MAX_MS, ttlOwner } from "../tree/ephemeral_type.ts";
import type { Txn, TxnHeader } from "../txn/txn.ts";
import { type ChangeRecord, type OutstandingChanges, recordOfNode } from "./change_record.ts";

const EMPTY = new Uint8Array(0);

/** A write request as prep sees it: the body is positioned after the request header. */
export interface PrepRequest {
  sessionId: bigint;
  cxid: number;
  type: number;
  body: JuteReader;
  authIds: readonly Id[];
}

/** What prep needs from the server around it. */
export interface PrepContext {
  tree: DataTree;
  outstanding: OutstandingChanges;
  extendedTypesEnabled: boolean;
  /** zoo.cfg reconfigEnabled: decides whether a reconfig is refused as disabled or checked. */
  reconfigEnabled?: boolean;
  /** The membership an ensemble's leader serves; absent or null on a standalone server. */
  ensembleConfig?: () => EnsembleConfig | null;
  /** Throws SessionExpired/SessionMoved when the session may not write. */
  checkSession(sessionId: bigint): void;
  /** Quota enforcement hook: throws QuotaExceeded when the change would break a hard limit. */
  checkQuota?(path: string, oldDataLength: number, newDataLength: number, isCreate: boolean): void;
}

/** The outcome of prep: a txn to log (possibly an error txn), or a malformed request. */
export type PrepOutcome = { header: TxnHeader; txn: Txn } | { malformed: string };

/**
 * Turns a write request into a txn against the tree plus every prepared-but-unapplied change
 * (ZooKeeper's PrepRequestProcessor). Validation order follows ZooKeeper's, because it decides
 * which error a client sees when several apply. A failed write still consumes its zxid and is
 * logged as an error txn, exactly as in ZooKeeper.
 */
export function prepWrite(ctx: PrepContext, request: PrepRequest, zxid: bigint, time: bigint): PrepOutcome {
  const header: TxnHeader = { sessionId: request.sessionId, cxid: request.cxid, zxid, time, type: request.type };
  let ops: ParsedOp[];
  try {
    ops = request.type === OpCode.multi ? parseMulti(request.body) : [parseOp(request.type, request.body)];
  } catch (error) {
    if (!(error instanceof JuteError || error instanceof MalformedOp)) throw error;
    // ZooKeeper gives an unreadable multi its zxid before reading it: it is logged as an error txn.
    if (request.type !== OpCode.multi) return { malformed: error.message };
    header.type = OpCode.error;
    return { header, txn: { type: OpCode.error, err: ErrorCode.MARSHALLINGERROR } };
  }
  if (request.type === OpCode.multi) return { header, txn: prepMulti(ctx, request, header, ops) };
  try {
    return { header, txn: prepOp(ctx, request, header, ops[0]!) };
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    header.type = OpCode.error;
    return { header, txn: { type: OpCode.error, err: error.code } };
  }
}

class MalformedOp extends Error {}

interface ParsedOp {
  type: number;
  path: string;
  data: Uint8Array;
  acl: readonly ACL[] | null;
  flags: number;
  ttl: bigint;
  version: number;
  timeoutMs: number;
}

function blankOp(type: number): ParsedOp {
  return { type, path: "", data: EMPTY, acl: null, flags: 0, ttl: -1n, version: -1, timeoutMs: 0 };
}

function parseOp(type: number, r: JuteReader): ParsedOp {
  const op = blankOp(type);
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      op.path = r.string();
      // Held only until the txn is applied (the tree copies it into its store).
      op.data = r.bufferCarved() ?? NULL_DATA;
      op.acl = readAclsShared(r);
      op.flags = r.int();
      if (type === OpCode.createTTL) op.ttl = r.long();
      return op;
    case OpCode.delete:
    case OpCode.check:
      op.path = r.string();
      op.version = r.int();
      return op;
    case OpCode.deleteContainer:
      op.path = r.string();
      return op;
    case OpCode.setData:
      op.path = r.string();
      op.data = r.bufferCarved() ?? NULL_DATA;
      op.version = r.int();
      return op;
    case OpCode.setACL:
      op.path = r.string();
      op.acl = readAcls(r);
      op.version = r.int();
      return op;
    case OpCode.createSession:
      op.timeoutMs = r.int();
      return op;
    case OpCode.closeSession:
    case OpCode.reconfig:
      return op;
    default:
      throw new MalformedOp(`op ${type} is not a write`);
  }
}

const MULTI_OPS_MAX = 100_000;

function parseMulti(r: JuteReader): ParsedOp[] {
  const ops: ParsedOp[] = [];
  for (let i = 0; i <= MULTI_OPS_MAX; i++) {
    const h = readMultiHeader(r);
    if (h.done) return ops;
    switch (h.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
        ops.push(multiCreateOp(h.type, r));
        break;
      case OpCode.delete:
      case OpCode.setData:
      case OpCode.check:
        ops.push(parseOp(h.type, r));
        break;
      default:
        throw new MalformedOp(`multi: invalid op type ${h.type}`);
    }
  }
  throw new MalformedOp(`multi: more than ${MULTI_OPS_MAX} ops`);
}

/**
 * A create inside a multi as ZooKeeper 3.9's MultiOperationRecord rebuilds it (ZOOKEEPER-4026):
 * TTL and container flags pick their own op, any other keeps the requested one (create2 answers
 * with a Stat). A flag no CreateMode has, or a TTL flag on an op that carries no TTL (ZooKeeper
 * validates the missing TTL while reading), makes the whole multi unreadable. createTTL with a flag
 * that is not TTL becomes a plain create (or container) and loses its TTL.
 */
function multiCreateOp(type: number, r: JuteReader): ParsedOp {
  const op = parseOp(type, r);
  const mode = createModeInfo(op.flags);
  if (type === OpCode.createTTL) {
    if (mode?.ttl === true) return op;
    op.type = mode?.container === true ? OpCode.createContainer : OpCode.create;
    op.ttl = -1n;
    return op;
  }
  if (mode === undefined) throw new MalformedOp(`invalid flag ${op.flags} for create mode`);
  if (mode.ttl) throw new MalformedOp(`flag ${op.flags} needs a TTL, which a ${opName(type)} op does not carry`);
  if (mode.container) op.type = OpCode.createContainer;
  return op;
}

function prepMulti(ctx: PrepContext, request: PrepRequest, header: TxnHeader, ops: ParsedOp[]): Txn {
  const saved = new Map<string, ChangeRecord | undefined>();
  const remember = (path: string) => {
    if (!saved.has(path)) saved.set(path, ctx.outstanding.get(path));
  };
  const txns: Txn[] = [];
  let failed = false;
  for (const op of ops) {
    if (failed) {
      txns.push({ type: OpCode.error, err: ErrorCode.RUNTIMEINCONSISTENCY });
      continue;
    }
    try {
      txns.push(prepOp(ctx, request, header, op, remember));
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      failed = true;
      txns.push({ type: OpCode.error, err: error.code });
      for (const [path, record] of saved) ctx.outstanding.restore(path, record);
    }
  }
  return { type: OpCode.multi, txns };
}

type Remember = (path: string) => void;

function prepOp(ctx: PrepContext, request: PrepRequest, header: TxnHeader, op: ParsedOp, remember?: Remember): Txn {
  switch (op.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return prepCreate(ctx, request, header, op, remember);
    case OpCode.delete:
    case OpCode.deleteContainer:
      return prepDelete(ctx, request, header, op, remember);
    case OpCode.setData:
      return prepSetData(ctx, request, header, op, remember);
    case OpCode.setACL:
      return prepSetAcl(ctx, request, header, op);
    case OpCode.check:
      return prepCheck(ctx, request, op);
    case OpCode.createSession:
      return { type: OpCode.createSession, timeoutMs: op.timeoutMs };
    case OpCode.closeSession:
      return prepCloseSession(ctx, request, header);
    case OpCode.reconfig:
      return prepReconfig(ctx, request);
    default:
      throw new MalformedOp(`op ${op.type} is not a write`);
  }
}

/**
 * ZooKeeper's order: disabled first, then the session; a standalone server (no leader to change
 * the ensemble) cannot reconfigure, which ZooKeeper answers as UNIMPLEMENTED. A leader checks the
 * request as ZooKeeper's does (prep_reconfig.ts) and, not applying membership changes, answers
 * one that passes UNIMPLEMENTED too.
 */
function prepReconfig(ctx: PrepContext, request: PrepRequest): never {
  if (ctx.reconfigEnabled !== true) throw new Refusal(ErrorCode.RECONFIGDISABLED);
  ctx.checkSession(request.sessionId);
  const current = ctx.ensembleConfig?.() ?? null;
  if (current === null) throw new Refusal(ErrorCode.UNIMPLEMENTED);
  checkReconfig(readReconfigRequest(request.body), current, () => {
    checkAcl(recordFor(ctx, CONFIG_NODE).acl, Perms.WRITE, request.authIds, CONFIG_NODE);
  });
  throw new Refusal(ErrorCode.UNIMPLEMENTED);
}

/** The node as prep sees it; `path` may be "" (the parent of a top-level node is the root). */
function recordFor(ctx: PrepContext, path: string): ChangeRecord {
  const key = path === "" ? ROOT : path;
  const pending = ctx.outstanding.get(key);
  if (pending !== undefined) {
    if (!pending.exists) throw new Refusal(ErrorCode.NONODE, path);
    return pending;
  }
  const slot = ctx.tree.find(key);
  if (slot === NO_SLOT) throw new Refusal(ErrorCode.NONODE, path);
  return recordOfNode(key, ctx.tree, slot, ctx.tree.lastProcessedZxid);
}

function validPath(path: string): void {
  if (pathProblem(path) !== null) throw new Refusal(ErrorCode.BADARGUMENTS, path);
}

/** ZooKeeper's checkAndIncVersion: -1 matches any version; the next version skips -1. */
function nextVersion(current: number, expected: number, path: string): number {
  if (expected !== -1 && expected !== current) throw new Refusal(ErrorCode.BADVERSION, path);
  const next = (current + 1) | 0;
  return next === -1 ? 0 : next;
}

/** `%010d` as Java formats it, negative numbers included. */
function sequenceSuffix(cversion: number): string {
  return cversion < 0 ? `-${String(-cversion).padStart(9, "0")}` : String(cversion).padStart(10, "0");
}

function change(ctx: PrepContext, record: ChangeRecord, remember?: Remember): void {
  remember?.(record.path);
  ctx.outstanding.add(record);
}

function prepCreate(ctx: PrepContext, request: PrepRequest, header: TxnHeader, op: ParsedOp, remember?: Remember): Txn {
  const mode = createModeInfo(op.flags);
  if (mode === undefined) throw new Refusal(ErrorCode.BADARGUMENTS, op.path);
  if (mode.ttl && !ctx.extendedTypesEnabled) throw new Refusal(ErrorCode.UNIMPLEMENTED);
  // ZooKeeper 3.9 lets a createTTL without a TTL mode through and then fails to apply the
  // CreateTTLTxn it logged; Paddock refuses it up front.
  const ttlInvalid = mode.ttl ? op.ttl <= 0n || op.ttl > TTL_MAX_MS : op.ttl >= 0n || op.type === OpCode.createTTL;
  if (ttlInvalid) throw new Refusal(ErrorCode.BADARGUMENTS, op.path);
  ctx.checkSession(request.sessionId);
  const slash = op.path.lastIndexOf("/");
  if (slash === -1 || op.path.includes("\u0000")) throw new Refusal(ErrorCode.BADARGUMENTS, op.path);
  const parentPath = op.path.slice(0, slash);
  const acl = fixupAcl(op.path, request.authIds, op.acl);
  const parent = recordFor(ctx, parentPath);
  checkAcl(parent.acl, Perms.CREATE, request.authIds, op.path);
  const path = mode.sequential ? op.path + sequenceSuffix(parent.cversion) : op.path;
  validPath(path);
  const pending = ctx.outstanding.get(path);
  const exists = pending !== undefined ? pending.exists : ctx.tree.has(path);
  if (exists) throw new Refusal(ErrorCode.NODEEXISTS, path);
  if (ephemeralKind(parent.ephemeralOwner, ctx.extendedTypesEnabled) === EphemeralKind.session) {
    throw new Refusal(ErrorCode.NOCHILDRENFOREPHEMERALS, path);
  }
  ctx.checkQuota?.(path, 0, op.data.length, true);
  const parentCVersion = parent.cversion + 1;
  // The owner follows the opcode, as ZooKeeper's txn records do: a plain create with the container
  // flag logs a CreateTxn, so ZooKeeper's tree holds an ordinary persistent node.
  const owner = op.type === OpCode.createContainer
    ? CONTAINER_OWNER
    : mode.ttl
    ? ttlOwner(op.ttl)
    : mode.ephemeral
    ? request.sessionId
    : 0n;
  change(ctx, { ...parent, zxid: header.zxid, childCount: parent.childCount + 1, cversion: parentCVersion }, remember);
  change(ctx, {
    zxid: header.zxid,
    path,
    exists: true,
    version: 0,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: owner,
    childCount: 0,
    acl,
    dataLength: op.data.length,
  }, remember);
  const type = op.type as typeof OpCode.create;
  return { type, path, data: op.data, acl, ephemeralOwner: owner, parentCVersion };
}

function isSpecialPath(path: string): boolean {
  return path === ROOT || path === ZOOKEEPER_NODE || path === QUOTA_NODE || path === CONFIG_NODE;
}

function prepDelete(ctx: PrepContext, request: PrepRequest, header: TxnHeader, op: ParsedOp, remember?: Remember): Txn {
  const isContainer = op.type === OpCode.deleteContainer;
  if (!isContainer) ctx.checkSession(request.sessionId);
  const slash = op.path.lastIndexOf("/");
  if (slash === -1 || op.path.includes("\u0000") || isSpecialPath(op.path)) {
    throw new Refusal(ErrorCode.BADARGUMENTS, op.path);
  }
  const parentPath = op.path.slice(0, slash);
  const node = isContainer ? recordFor(ctx, op.path) : undefined;
  if (node !== undefined) {
    if (node.childCount > 0) throw new Refusal(ErrorCode.NOTEMPTY, op.path);
    const kind = ephemeralKind(node.ephemeralOwner, ctx.extendedTypesEnabled);
    if (kind === EphemeralKind.session) throw new Refusal(ErrorCode.BADVERSION, op.path);
  }
  const parent = recordFor(ctx, parentPath);
  if (!isContainer) {
    checkAcl(parent.acl, Perms.DELETE, request.authIds, op.path);
    const target = recordFor(ctx, op.path);
    nextVersion(target.version, op.version, op.path);
    if (target.childCount > 0) throw new Refusal(ErrorCode.NOTEMPTY, op.path);
  }
  change(ctx, { ...parent, zxid: header.zxid, childCount: parent.childCount - 1 }, remember);
  change(ctx, { ...(node ?? recordFor(ctx, op.path)), zxid: header.zxid, exists: false }, remember);
  return { type: op.type as typeof OpCode.delete, path: op.path };
}

function prepSetData(ctx: PrepContext, request: PrepRequest, header: TxnHeader, op: ParsedOp, remember?: Remember): Txn {
  ctx.checkSession(request.sessionId);
  validPath(op.path);
  const node = recordFor(ctx, op.path);
  checkAcl(node.acl, Perms.WRITE, request.authIds, op.path);
  ctx.checkQuota?.(op.path, node.dataLength, op.data.length, false);
  const version = nextVersion(node.version, op.version, op.path);
  change(ctx, { ...node, zxid: header.zxid, version, dataLength: op.data.length }, remember);
  return { type: OpCode.setData, path: op.path, data: op.data, version };
}

function prepSetAcl(ctx: PrepContext, request: PrepRequest, header: TxnHeader, op: ParsedOp): Txn {
  ctx.checkSession(request.sessionId);
  validPath(op.path);
  const acl = fixupAcl(op.path, request.authIds, op.acl);
  const node = recordFor(ctx, op.path);
  checkAcl(node.acl, Perms.ADMIN, request.authIds, op.path);
  const version = nextVersion(node.aversion, op.version, op.path);
  change(ctx, { ...node, zxid: header.zxid, aversion: version, acl });
  return { type: OpCode.setACL, path: op.path, acl, version };
}

function prepCheck(ctx: PrepContext, request: PrepRequest, op: ParsedOp): Txn {
  ctx.checkSession(request.sessionId);
  validPath(op.path);
  const node = recordFor(ctx, op.path);
  checkAcl(node.acl, Perms.READ, request.authIds, op.path);
  return { type: OpCode.check, path: op.path, version: nextVersion(node.version, op.version, op.path) };
}

function prepCloseSession(ctx: PrepContext, request: PrepRequest, header: TxnHeader): Txn {
  const paths = new Set(ctx.tree.ephemeralsOf(request.sessionId));
  for (const record of ctx.outstanding.pending()) {
    if (!record.exists) paths.delete(record.path);
    else if (record.ephemeralOwner === request.sessionId) paths.add(record.path);
  }
  for (const path of paths) {
    change(ctx, { ...recordFor(ctx, path), zxid: header.zxid, exists: false });
  }
  return { type: OpCode.closeSession, paths: [...paths] };
}
