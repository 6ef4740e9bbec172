/**
 * How each client operation is written to and read from the wire (zookeeper.jute). Pure
 * functions: paths given here are already server paths (chroot prepended); `strip` maps a
 * server path in a reply back to the client's view.
 */
import {
  type ACL,
  type JuteReader,
  type JuteWriter,
  CreateMode,
  OpCode,
  readAcls,
  writeAcls,
  writeCreateRequest,
} from "../proto/mod.ts";
import { readClientStat as readStat, type Stat } from "./stat.ts";
import type { AclResult, ChildrenResult, ClientInfo, CreateResult, DataResult } from "./types.ts";

/**
 * An encoded request body and how to read the matching reply. The factories below build these
 * with method shorthand, not arrow properties: under tsx (esbuild keepNames) every arrow assigned
 * to a property is wrapped in `__name(fn, "write")`, an Object.defineProperty per request that
 * cost a quarter of the client's CPU with 256 getData in flight (bench/client_bench.ts).
 */
export interface RequestSpec<T> {
  opCode: number;
  write: (w: JuteWriter) => void;
  decode: (r: JuteReader) => T;
}

/** Maps a server path in a reply to the client's (chroot-relative) path. */
export type StripChroot = (serverPath: string) => string;

const noBody = () => undefined;

/** The opcode a create of this mode must use (create2 returns the Stat; containers and TTL have their own). */
export function createOpCode(mode: number): number {
  if (mode === CreateMode.CONTAINER) return OpCode.createContainer;
  if (mode === CreateMode.PERSISTENT_WITH_TTL || mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL) return OpCode.createTTL;
  return OpCode.create2;
}

/** Writes a create-family body (CreateRequest, or CreateTTLRequest for the TTL modes). */
export function writeCreateBody(w: JuteWriter, path: string, data: Uint8Array | null, acl: readonly ACL[], mode: number, ttlMs: number): void {
  const withTtl = createOpCode(mode) === OpCode.createTTL;
  writeCreateRequest(w, { path, data, acl: acl as ACL[], flags: mode, ttl: BigInt(withTtl ? ttlMs : -1) }, withTtl);
}

export function createRequest(path: string, data: Uint8Array | null, acl: readonly ACL[], mode: number, ttlMs: number, strip: StripChroot): RequestSpec<CreateResult> {
  return {
    opCode: createOpCode(mode),
    write(w) { writeCreateBody(w, path, data, acl, mode, ttlMs); },
    decode(r) { return { path: strip(r.string()), stat: readStat(r) }; },
  };
}

export function deleteRequest(path: string, version: number): RequestSpec<void> {
  return { opCode: OpCode.delete, write(w) { w.ustring(path).int(version); }, decode: noBody };
}

export function existsRequest(path: string, watch: boolean): RequestSpec<Stat> {
  return { opCode: OpCode.exists, write(w) { w.ustring(path).bool(watch); }, decode: readStat };
}

export function getDataRequest(path: string, watch: boolean): RequestSpec<DataResult> {
  return {
    opCode: OpCode.getData,
    write(w) { w.ustring(path).bool(watch); },
    decode(r) { return { data: r.buffer(), stat: readStat(r) }; },
  };
}

export function setDataRequest(path: string, data: Uint8Array | null, version: number): RequestSpec<Stat> {
  return { opCode: OpCode.setData, write(w) { w.ustring(path).buffer(data).int(version); }, decode: readStat };
}

export function getChildrenRequest(path: string, watch: boolean): RequestSpec<ChildrenResult> {
  return {
    opCode: OpCode.getChildren2,
    write(w) { w.ustring(path).bool(watch); },
    decode(r) { return { children: r.ustrings() ?? [], stat: readStat(r) }; },
  };
}

export function getAclRequest(path: string): RequestSpec<AclResult> {
  return { opCode: OpCode.getACL, write(w) { w.ustring(path); }, decode(r) { return { acl: readAcls(r) ?? [], stat: readStat(r) }; } };
}

export function setAclRequest(path: string, acl: readonly ACL[], version: number): RequestSpec<Stat> {
  return {
    opCode: OpCode.setACL,
    write(w) {
      w.ustring(path);
      writeAcls(w, acl);
      w.int(version);
    },
    decode: readStat,
  };
}

export function syncRequest(path: string, strip: StripChroot): RequestSpec<string> {
  return { opCode: OpCode.sync, write(w) { w.ustring(path); }, decode(r) { return strip(r.string()); } };
}

/** getEphemerals: the server matches by string prefix, so paths outside the chroot are dropped. */
export function getEphemeralsRequest(prefixPath: string, strip: StripChroot, inChroot: (p: string) => boolean): RequestSpec<string[]> {
  return {
    opCode: OpCode.getEphemerals,
    write(w) { w.ustring(prefixPath); },
    decode(r) { return (r.ustrings() ?? []).filter(inChroot).map(strip); },
  };
}

export function getAllChildrenNumberRequest(path: string): RequestSpec<number> {
  return { opCode: OpCode.getAllChildrenNumber, write(w) { w.ustring(path); }, decode(r) { return r.int(); } };
}

export function addWatchRequest(path: string, mode: number): RequestSpec<void> {
  return { opCode: OpCode.addWatch, write(w) { w.ustring(path).int(mode); }, decode: noBody };
}

/** removeWatches (op 18) and checkWatches (op 17) share one body: path and WatcherType. */
export function watchesRequest(opCode: number, path: string, type: number): RequestSpec<void> {
  return { opCode, write(w) { w.ustring(path).int(type); }, decode: noBody };
}

export function whoAmIRequest(): RequestSpec<ClientInfo[]> {
  return { opCode: OpCode.whoAmI, write: noBody, decode: readClientInfos };
}

export function closeSessionRequest(): RequestSpec<void> {
  return { opCode: OpCode.closeSession, write: noBody, decode: noBody };
}

function readClientInfos(r: JuteReader): ClientInfo[] {
  // Smallest ClientInfo: two empty strings.
  const count = r.vectorLength(8);
  const out: ClientInfo[] = [];
  for (let i = 0; i < count; i++) out.push({ authScheme: r.string(), user: r.string() });
  return out;
}
