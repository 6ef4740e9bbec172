/**
 * Pre-encoded request frames for the load generator. Every request of a workload differs from its
 * template only in the xid and a fixed-width decimal suffix of the path, so a request is a copy of
 * the template plus two small patches: no jute encoding, no string building in the load loop.
 * The templates themselves are written with core/proto's JuteWriter, so the bytes are the ones the
 * rest of Paddock agrees on.
 */
import { JuteWriter } from "../core/proto/jute_writer.ts";
import { OpCode } from "../core/proto/op_code.ts";
import { writeAcls, writeConnectRequest } from "../core/proto/records.ts";
import { OPEN_ACL } from "../core/tree/data_tree.ts";

/** Digits in every patched path suffix: 10 covers any uint32 counter. */
export const SUFFIX_DIGITS = 10;
/** Offset of the xid in a framed request: right after the 4-byte length. */
const XID_OFFSET = 4;

/** One request shape, ready to be stamped out. */
export interface RequestTemplate {
  readonly bytes: Uint8Array;
  /** Where the path's decimal suffix starts inside `bytes`, or -1 when the path is fixed. */
  readonly suffixOffset: number;
}

/** What a request carries besides its path. */
export type RequestBody =
  | { op: typeof OpCode.getData | typeof OpCode.exists }
  | { op: typeof OpCode.setData; data: Uint8Array }
  | { op: typeof OpCode.create; data: Uint8Array };

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
  }
  const bytes = w.finishFrame().slice();
  const suffixOffset = suffixed ? pathStart + Buffer.byteLength(pathPrefix, "utf8") : -1;
  return { bytes, suffixOffset };
}

/** A request with no path (closeSession): just the header. */
export function headerOnlyTemplate(op: number): RequestTemplate {
  const w = new JuteWriter(16, { framed: true });
  w.int(0).int(op);
  return { bytes: w.finishFrame().slice(), suffixOffset: -1 };
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
  if (template.suffixOffset >= 0) {
    let n = suffix;
    const end = offset + template.suffixOffset + SUFFIX_DIGITS - 1;
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
