/**
 * The records of ZooKeeper's client protocol (zookeeper.jute), as plain objects with one
 * read and one write function each. Field order is the wire order.
 */
import { JuteError, type JuteReader } from "./jute_reader.ts";
import type { JuteWriter } from "./jute_writer.ts";

/** An identity: `world:anyone`, `digest:user:hash`, `ip:10.0.0.0/8`, `auth:`, ... */
export interface Id {
  scheme: string;
  id: string;
}

export interface ACL {
  perms: number;
  id: Id;
}

/** A znode's metadata, exactly ZooKeeper's `Stat`. */
export interface Stat {
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}

export function writeStat(w: JuteWriter, s: Stat): void {
  w.long(s.czxid).long(s.mzxid).long(s.ctime).long(s.mtime);
  w.int(s.version).int(s.cversion).int(s.aversion);
  w.long(s.ephemeralOwner).int(s.dataLength).int(s.numChildren).long(s.pzxid);
}

export function readStat(r: JuteReader): Stat {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.long(),
    mtime: r.long(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    dataLength: r.int(),
    numChildren: r.int(),
    pzxid: r.long(),
  };
}

export function writeAcls(w: JuteWriter, acls: readonly ACL[] | null): void {
  if (acls === null) {
    w.int(-1);
    return;
  }
  w.int(acls.length);
  for (const acl of acls) w.int(acl.perms).ustring(acl.id.scheme).ustring(acl.id.id);
}

/** world:anyone with each perms value, one frozen list each: most creates ask for one of these. */
const WORLD_ACLS: readonly (readonly ACL[])[] = Array.from({ length: 32 }, (_, perms) =>
  Object.freeze([Object.freeze({ perms, id: Object.freeze({ scheme: "world", id: "anyone" }) })])
);

/** True for a list {@link readAclsShared} hands out (never to be changed: it is shared). */
export function isSharedWorldAcl(acl: readonly ACL[]): boolean {
  return acl.length === 1 && WORLD_ACLS[acl[0]!.perms] === acl;
}

/**
 * readAcls, except that a lone world:anyone entry comes back as a shared frozen list (the server's
 * hot path: the tree's ACL table knows that list by identity, with no key to build per create).
 */
export function readAclsShared(r: JuteReader): readonly ACL[] | null {
  const acls = readAcls(r);
  if (acls === null || acls.length !== 1) return acls;
  const { perms, id } = acls[0]!;
  const shared = id.scheme === "world" && id.id === "anyone" ? WORLD_ACLS[perms] : undefined;
  return shared ?? acls;
}

/** ACL vectors may be null on the wire (-1); callers decide what null means. */
export function readAcls(r: JuteReader): ACL[] | null {
  // Smallest ACL: perms + two empty strings = 12 bytes.
  const count = r.vectorLength(12);
  if (count === -1) return null;
  const acls: ACL[] = [];
  for (let i = 0; i < count; i++) {
    const perms = r.int();
    acls.push({ perms, id: { scheme: r.string(), id: r.string() } });
  }
  return acls;
}

export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: bigint;
  timeOut: number;
  sessionId: bigint;
  passwd: Uint8Array;
  readOnly: boolean;
}

export function readConnectRequest(r: JuteReader): ConnectRequest {
  const protocolVersion = r.int();
  const lastZxidSeen = r.long();
  const timeOut = r.int();
  const sessionId = r.long();
  const passwd = r.buffer() ?? new Uint8Array(0);
  // Clients older than 3.4 stop here; newer ones add the readOnly flag.
  const readOnly = r.optionalBool();
  return { protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly };
}

export function writeConnectRequest(w: JuteWriter, c: ConnectRequest): void {
  w.int(c.protocolVersion).long(c.lastZxidSeen).int(c.timeOut).long(c.sessionId);
  w.buffer(c.passwd).bool(c.readOnly);
}

export interface ConnectResponse {
  protocolVersion: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Uint8Array;
  readOnly: boolean;
}

export function writeConnectResponse(w: JuteWriter, c: ConnectResponse): void {
  w.int(c.protocolVersion).int(c.timeOut).long(c.sessionId).buffer(c.passwd).bool(c.readOnly);
}

export function readConnectResponse(r: JuteReader): ConnectResponse {
  const protocolVersion = r.int();
  const timeOut = r.int();
  const sessionId = r.long();
  const passwd = r.buffer() ?? new Uint8Array(0);
  return { protocolVersion, timeOut, sessionId, passwd, readOnly: r.optionalBool() };
}

export interface RequestHeader {
  xid: number;
  type: number;
}

export interface ReplyHeader {
  xid: number;
  zxid: bigint;
  err: number;
}

export function readReplyHeader(r: JuteReader): ReplyHeader {
  return { xid: r.int(), zxid: r.long(), err: r.int() };
}

export interface MultiHeader {
  type: number;
  done: boolean;
  err: number;
}

export function readMultiHeader(r: JuteReader): MultiHeader {
  return { type: r.int(), done: r.bool(), err: r.int() };
}

export function writeMultiHeader(w: JuteWriter, h: MultiHeader): void {
  w.int(h.type).bool(h.done).int(h.err);
}

export interface WatcherEvent {
  type: number;
  state: number;
  path: string;
}

export interface SetWatches {
  relativeZxid: bigint;
  dataWatches: string[];
  existWatches: string[];
  childWatches: string[];
  persistentWatches: string[];
  persistentRecursiveWatches: string[];
}

/** SetWatches (op 101) and SetWatches2 (op 105); the first lacks the persistent lists. */
export function readSetWatches(r: JuteReader, withPersistent: boolean): SetWatches {
  const relativeZxid = r.long();
  const dataWatches = r.ustrings() ?? [];
  const existWatches = r.ustrings() ?? [];
  const childWatches = r.ustrings() ?? [];
  const persistentWatches = withPersistent ? (r.ustrings() ?? []) : [];
  const persistentRecursiveWatches = withPersistent ? (r.ustrings() ?? []) : [];
  return { relativeZxid, dataWatches, existWatches, childWatches, persistentWatches, persistentRecursiveWatches };
}

export function writeSetWatches(w: JuteWriter, s: SetWatches, withPersistent: boolean): void {
  w.long(s.relativeZxid).ustrings(s.dataWatches).ustrings(s.existWatches).ustrings(s.childWatches);
  if (withPersistent) w.ustrings(s.persistentWatches).ustrings(s.persistentRecursiveWatches);
}

/** The body of a create-family request (create, create2, createContainer, createTTL). */
export interface CreateRequest {
  path: string;
  data: Uint8Array | null;
  acl: ACL[] | null;
  flags: number;
  /** Only createTTL carries it; -1 otherwise. */
  ttl: bigint;
}

export function readCreateRequest(r: JuteReader, withTtl: boolean): CreateRequest {
  const path = r.string();
  const data = r.buffer();
  const acl = readAcls(r);
  const flags = r.int();
  return { path, data, acl, flags, ttl: withTtl ? r.long() : -1n };
}

export function writeCreateRequest(w: JuteWriter, c: CreateRequest, withTtl: boolean): void {
  w.ustring(c.path).buffer(c.data);
  writeAcls(w, c.acl);
  w.int(c.flags);
  if (withTtl) w.long(c.ttl);
}

export interface PathVersion {
  path: string;
  version: number;
}

export interface SetDataRequest {
  path: string;
  data: Uint8Array | null;
  version: number;
}

export interface SetACLRequest {
  path: string;
  acl: ACL[] | null;
  version: number;
}

export interface AuthPacket {
  type: number;
  scheme: string;
  auth: Uint8Array;
}

export function readAuthPacket(r: JuteReader): AuthPacket {
  return { type: r.int(), scheme: r.string(), auth: r.buffer() ?? new Uint8Array(0) };
}

/** Throws when a frame has bytes the record did not account for (a malformed request). */
export function expectEnd(r: JuteReader, what: string): void {
  if (r.remaining !== 0) throw new JuteError(`${what}: ${r.remaining} unexpected trailing bytes`);
}
