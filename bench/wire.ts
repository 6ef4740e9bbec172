/**
 * Pre-encoded request frames for the load generator. Every request of a workload differs from its
 * template only in the xid and a fixed-width decimal suffix of the path, so a request is a copy of
 * the template plus two small patches: no jute encoding, no string building in the load loop.
 * The templates themselves are written with core/proto's JuteWriter, so the bytes are the ones the
 * rest of Paddock agrees on.
 */
import { JuteWriter } from "../core/proto/jute_writer.ts";
import { OpCode } from "../core/proto/op_code.ts";
import { writeAcls, writeConnectRequest, writeMultiHeader } from "../core/proto/records.ts";
import { OPEN_ACL } from "../core/tree/data_tree.ts";

/** Digits in every patched path suffix: 10 covers any uint32 counter. */
export const SUFFIX_DIGITS = 10;
/** Offset of the xid in a framed request: right after the 4-byte length. */
const XID_OFFSET = 4;

/** One request shape, ready to be stamped out. */
export interface RequestTemplate {
  readonly bytes: Uint8Array;
  /**
   * Where each path's decimal suffix starts inside `bytes` (empty when the path is fixed). A
   * request with n paths (a multi) gets suffixes s*n, s*n+1, ... for request suffix s.
   */
  readonly suffixOffsets: readonly number[];
}

/** What a request carries besides its path. */
export type RequestBody =
  | { op: typeof OpCode.getData | typeof OpCode.exists }
  | { op: typeof OpCode.setData; data: Uint8Array }
  | { op: typeof OpCode.create; data: Uint8Array }
  | { op: typeof OpCode.delete };

/**
 * Builds the template of `op` on `pathPrefix` followed by a SUFFIX_DIGITS-wide number (or on
 * `pathPrefix` alone when `suffixed` is false).
 *
 * @example const t = requestTemplate("/bench/v100/k-", { op: OpCode.getData });
 */
export function requestTemplate(pathPrefix: string, body: RequestBody, suffixed = true): RequestTemplate {
  const path = suffixed ? pathPrefix + "0".repeat(SUFFIX_DIGITS) : pathPrefix;
  const w = new JuteWriter(64 + path.length * 3, { framed: true });
  w.int(0).int(body.op);
  const offset = writeOp(w, path, body);
  const bytes = w.finishFrame().slice();
  return { bytes, suffixOffsets: suffixed ? [offset + Buffer.byteLength(pathPrefix, "utf8")] : [] };
}

/** Writes one op's record; returns where its path's bytes start. */
function writeOp(w: JuteWriter, path: string, body: RequestBody): number {
  const pathStart = w.length + 4;
  w.ustring(path);
  switch (body.op) {
    case OpCode.getData:
    case OpCode.exists:
      w.bool(false);
      break;
    case OpCode.setData:
      w.buffer(body.data).int(-1);
      break;
    case OpCode.create:
      w.buffer(body.data);
      writeAcls(w, OPEN_ACL);
      w.int(0);
      break;
    case OpCode.delete:
      w.int(-1);
      break;
  }
  return pathStart;
}

/**
 * A multi of `count` creates of `data` on `pathPrefix` + suffix: request s creates suffixes
 * s*count .. s*count+count-1.
 *
 * @example const t = multiCreateTemplate("/bench/m-", 10, value);
 */
export function multiCreateTemplate(pathPrefix: string, count: number, data: Uint8Array): RequestTemplate {
  const path = pathPrefix + "0".repeat(SUFFIX_DIGITS);
  const w = new JuteWriter(64 + count * (path.length * 3 + data.length + 64), { framed: true });
  w.int(0).int(OpCode.multi);
  const suffixOffsets: number[] = [];
  for (let i = 0; i < count; i++) {
    writeMultiHeader(w, { type: OpCode.create, done: false, err: -1 });
    suffixOffsets.push(writeOp(w, path, { op: OpCode.create, data }) + Buffer.byteLength(pathPrefix, "utf8"));
  }
  writeMultiHeader(w, { type: -1, done: true, err: -1 });
  return { bytes: w.finishFrame().slice(), suffixOffsets };
}

/** A request with no path (closeSession): just the header. */
export function headerOnlyTemplate(op: number): RequestTemplate {
  const w = new JuteWriter(16, { framed: true });
  w.int(0).int(op);
  return { bytes: w.finishFrame().slice(), suffixOffsets: [] };
}

/**
 * Copies `template` into `out` at `offset` with its xid and path suffix set; returns the new offset.
 */
export function stampRequest(out: Uint8Array, offset: number, template: RequestTemplate, xid: number, suffix: number): number {
  const bytes = template.bytes;
  out.set(bytes, offset);
  const x = offset + XID_OFFSET;
  out[x] = xid >>> 24;
  out[x + 1] = (xid >>> 16) & 0xff;
  out[x + 2] = (xid >>> 8) & 0xff;
  out[x + 3] = xid & 0xff;
  const paths = template.suffixOffsets.length;
  for (let p = 0; p < paths; p++) {
    let n = suffix * paths + p;
    const end = offset + template.suffixOffsets[p]! + SUFFIX_DIGITS - 1;
    for (let i = 0; i < SUFFIX_DIGITS; i++) {
      out[end - i] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
  }
  return offset + bytes.length;
}

/** The path a template produces for `suffix` (for logs and for pre-creating keys). */
export function suffixedPath(pathPrefix: string, suffix: number): string {
  return pathPrefix + String(suffix).padStart(SUFFIX_DIGITS, "0");
}

/** A new session's ConnectRequest, framed. */
export function connectFrame(sessionTimeoutMs: number): Uint8Array {
  const w = new JuteWriter(64, { framed: true });
  writeConnectRequest(w, {
    protocolVersion: 0,
    lastZxidSeen: 0n,
    timeOut: sessionTimeoutMs,
    sessionId: 0n,
    passwd: new Uint8Array(16),
    readOnly: false,
  });
  return w.finishFrame().slice();
}
