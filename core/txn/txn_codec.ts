/**
 * Txns exactly as ZooKeeper 3.9 serializes them (Util.marshallTxnEntry, SerializeUtils.deserializeTxn):
 * a TxnHeader, the record its type calls for, then the optional TxnDigest. These bytes are what
 * ZooKeeper's txn log stores, what a PROPOSAL or INFORM carries, and what Paddock's own log
 * stores, so a log and a proposal can move between Paddock and ZooKeeper unchanged.
 *
 * Paddock's Txn model keeps the owner a created node gets; ZooKeeper's records keep what implies
 * it: CreateTxn an `ephemeral` flag (owner = the header's session), CreateTTLTxn the TTL,
 * CreateContainerTxn nothing (the container marker). The mapping is checked both ways.
 */
import { NULL_DATA, writeData } from "../tree/znode.ts";
import { CONTAINER_OWNER, TTL_MAX_MS, ttlOf, ttlOwner } from "../tree/ephemeral_type.ts";
import { JuteError, JuteReader } from "../proto/jute_reader.ts";
import { JuteWriter } from "../proto/jute_writer.ts";
import { OpCode } from "../proto/op_code.ts";
import { readAcls, readAclsShared, writeAcls } from "../proto/records.ts";
import type { CreateTxn, Txn, TxnDigest, TxnHeader } from "./txn.ts";

/** TxnHeader: clientId, cxid, zxid, time, type. */
const HEADER_BYTES = 8 + 4 + 8 + 8 + 4;
/** TxnDigest: version, treeDigest. */
const DIGEST_BYTES = 4 + 8;

/** A decoded txn: header, record, and the digest when the writer appended one. */
export interface DecodedTxn {
  header: TxnHeader;
  txn: Txn;
  digest?: TxnDigest;
}

/**
 * Serializes a txn as ZooKeeper does: header, record, then `digest` if given. `header.type` must
 * be `txn.type`; a create's owner must be one its record can express (see the module comment).
 *
 * @example encodeTxn({ sessionId: 1n, cxid: 2, zxid: 3n, time: 4n, type: OpCode.delete }, { type: OpCode.delete, path: "/a" })
 */
export function encodeTxn(header: TxnHeader, txn: Txn, digest?: TxnDigest): Uint8Array {
  if (header.type !== txn.type) throw new Error(`encodeTxn: header type ${header.type} != txn type ${txn.type}`);
  // Room for the usual record in one region: header, digest, a path as ustring reserves it (3 bytes
  // a character), the data and a short ACL. Short of it, the writer grows, copying what it wrote.
  const path = (txn as { path?: string }).path;
  const w = new JuteWriter(128 + (path === undefined ? 0 : 3 * path.length) + ((txn as { data?: Uint8Array }).data?.length ?? 0));
  w.long(header.sessionId).int(header.cxid).long(header.zxid).long(header.time).int(header.type);
  writeRecord(w, header.sessionId, txn);
  if (digest !== undefined) w.int(digest.version).long(digest.treeDigest);
  // A view, not a copy: JuteWriter never hands a region of its slabs out twice.
  return w.bytes();
}

function writeRecord(w: JuteWriter, sessionId: bigint, txn: Txn): void {
  switch (txn.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      writeCreate(w, sessionId, txn);
      return;
    case OpCode.delete:
    case OpCode.deleteContainer:
      w.ustring(txn.path);
      return;
    case OpCode.setData:
    case OpCode.reconfig:
      w.ustring(txn.path);
      writeData(w, txn.data);
      w.int(txn.version);
      return;
    case OpCode.setACL:
      w.ustring(txn.path);
      writeAcls(w, txn.acl);
      w.int(txn.version);
      return;
    case OpCode.check:
      w.ustring(txn.path).int(txn.version);
      return;
    case OpCode.createSession:
      w.int(txn.timeoutMs);
      return;
    case OpCode.closeSession:
      w.ustrings(txn.paths);
      return;
    case OpCode.error:
      w.int(txn.err);
      return;
    case OpCode.multi:
      // MultiTxn: vector<Txn{int type; buffer data}>, each sub-record serialized into its buffer.
      w.int(txn.txns.length);
      for (const sub of txn.txns) {
        if (!MULTI_SUB_TYPES.has(sub.type)) throw new Error(`encodeTxn: type ${sub.type} cannot be part of a multi`);
        w.int(sub.type);
        const lengthAt = w.length;
        w.int(0);
        writeRecord(w, sessionId, sub);
        w.patchInt(lengthAt, w.length - lengthAt - 4);
      }
      return;
  }
}

/** CreateTxn {path, data, acl, ephemeral, parentCVersion}; the TTL and container records differ. */
function writeCreate(w: JuteWriter, sessionId: bigint, txn: CreateTxn): void {
  w.ustring(txn.path);
  writeData(w, txn.data);
  writeAcls(w, txn.acl);
  const owner = txn.ephemeralOwner;
  if (txn.type === OpCode.createContainer) {
    if (owner !== CONTAINER_OWNER) throw new Error(`encodeTxn: container ${txn.path} with owner ${owner}`);
    w.int(txn.parentCVersion);
  } else if (txn.type === OpCode.createTTL) {
    const ttlMs = ttlOf(owner);
    if (ttlOwner(ttlMs) !== owner || ttlMs <= 0n) throw new Error(`encodeTxn: TTL node ${txn.path} with owner ${owner}`);
    w.int(txn.parentCVersion).long(ttlMs);
  } else {
    if (owner !== 0n && owner !== sessionId) throw new Error(`encodeTxn: ${txn.path} owned by ${owner}, not 0 or session ${sessionId}`);
    w.bool(owner !== 0n).int(txn.parentCVersion);
  }
}

/** What ZooKeeper's DataTree accepts inside a multi (processTxn). */
const MULTI_SUB_TYPES: ReadonlySet<number> = new Set([
  OpCode.create,
  OpCode.create2,
  OpCode.createTTL,
  OpCode.createContainer,
  OpCode.delete,
  OpCode.deleteContainer,
  OpCode.setData,
  OpCode.check,
  OpCode.error,
]);

/**
 * The inverse of encodeTxn, for bytes from Paddock or ZooKeeper; throws JuteError on bytes it
 * cannot read (an unknown type, a short record, trailing bytes that are no TxnDigest). A
 * closeSession with no record (3.5 and older, or closeSessionTxn.enabled=false) reads as one that
 * names no paths: applying it still removes the session's ephemerals.
 *
 * @example const { header, txn, digest } = decodeTxn(bytes);
 */
export function decodeTxn(bytes: Uint8Array): DecodedTxn {
  const r = new JuteReader(bytes);
  const header: TxnHeader = { sessionId: r.long(), cxid: r.int(), zxid: r.long(), time: r.long(), type: r.int() };
  const { txn, rest } = header.type === OpCode.closeSession
    ? readCloseSession(bytes)
    : { txn: readRecord(r, header.type, header.sessionId, 0), rest: r };
  if (rest.remaining === 0) return { header, txn };
  if (rest.remaining !== DIGEST_BYTES) throw new JuteError(`txn 0x${header.zxid.toString(16)}: ${rest.remaining} bytes after the record`);
  return { header, txn, digest: { version: rest.int(), treeDigest: rest.long() } };
}

/** A CloseSessionTxn, or none at all: the header alone, or the header and a digest. */
function readCloseSession(bytes: Uint8Array): { txn: Txn; rest: JuteReader } {
  const r = new JuteReader(bytes, HEADER_BYTES);
  try {
    const paths = r.ustrings() ?? [];
    if (r.remaining === 0 || r.remaining === DIGEST_BYTES) return { txn: { type: OpCode.closeSession, paths }, rest: r };
  } catch (error) {
    if (!(error instanceof JuteError)) throw error;
  }
  const rest = bytes.length - HEADER_BYTES;
  if (rest !== 0 && rest !== DIGEST_BYTES) throw new JuteError(`closeSession: ${rest} bytes are neither a CloseSessionTxn nor a TxnDigest`);
  return { txn: { type: OpCode.closeSession, paths: [] }, rest: new JuteReader(bytes, HEADER_BYTES) };
}

function readRecord(r: JuteReader, type: number, sessionId: bigint, depth: number): Txn {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return readCreate(r, type, sessionId);
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { type, path: r.string() };
    case OpCode.setData:
    case OpCode.reconfig:
      return { type, path: r.string(), data: r.bufferCarved() ?? NULL_DATA, version: r.int() };
    case OpCode.setACL:
      return { type, path: r.string(), acl: readAcls(r) ?? [], version: r.int() };
    case OpCode.check:
      return { type, path: r.string(), version: r.int() };
    case OpCode.createSession:
      return { type, timeoutMs: r.int() };
    case OpCode.error:
      return { type, err: r.int() };
    case OpCode.multi:
      if (depth > 0) throw new JuteError("txn: a multi inside a multi");
      return { type, txns: readMulti(r, sessionId) };
    default:
      throw new JuteError(`txn: unknown type ${type}`);
  }
}

function readCreate(r: JuteReader, type: CreateTxn["type"], sessionId: bigint): CreateTxn {
  const path = r.string();
  // Held until applied (the tree copies it into its store): no ArrayBuffer of its own.
  const data = r.bufferCarved() ?? NULL_DATA;
  const acl = readAclsShared(r) ?? [];
  if (type === OpCode.createContainer) {
    return { type, path, data, acl, ephemeralOwner: CONTAINER_OWNER, parentCVersion: r.int() };
  }
  if (type === OpCode.createTTL) {
    const parentCVersion = r.int();
    const ttlMs = r.long();
    if (ttlMs <= 0n || ttlMs > TTL_MAX_MS) throw new JuteError(`createTTL ${path}: TTL ${ttlMs} ms out of range`);
    return { type, path, data, acl, ephemeralOwner: ttlOwner(ttlMs), parentCVersion };
  }
  const ephemeral = r.bool();
  return { type, path, data, acl, ephemeralOwner: ephemeral ? sessionId : 0n, parentCVersion: r.int() };
}

/** The smallest Txn{type, data}: a type and an empty buffer. */
const MULTI_ENTRY_MIN_BYTES = 8;

function readMulti(r: JuteReader, sessionId: bigint): Txn[] {
  const count = r.vectorLength(MULTI_ENTRY_MIN_BYTES);
  const txns: Txn[] = [];
  for (let i = 0; i < count; i++) {
    const type = r.int();
    if (!MULTI_SUB_TYPES.has(type)) throw new JuteError(`multi: type ${type} cannot be part of a multi`);
    const data = r.buffer();
    if (data === null) throw new JuteError(`multi: op ${i} has no record`);
    const sub = new JuteReader(data);
    txns.push(readRecord(sub, type, sessionId, 1));
    if (sub.remaining !== 0) throw new JuteError(`multi: op ${i} has ${sub.remaining} bytes after its record`);
  }
  return txns;
}
