import { ErrorCode } from "../../core/proto/error_code.ts";
import type { JuteReader } from "../../core/proto/jute_reader.ts";
import type { JuteWriter } from "../../core/proto/jute_writer.ts";
import { OpCode } from "../../core/proto/op_code.ts";
import { readStat } from "../../core/proto/records.ts";

/** What a simulated client asks for. */
export type SimOp =
  | { readonly kind: "write"; readonly key: string; readonly value: string }
  | { readonly kind: "cas"; readonly key: string; readonly value: string; readonly version: number }
  | { readonly kind: "read"; readonly key: string }
  | { readonly kind: "syncRead"; readonly key: string }
  /** getData with a watch: a one-shot data watch on the register. */
  | { readonly kind: "watchRead"; readonly key: string }
  /** A persistent sequential child of `queue` holding `value`. */
  | { readonly kind: "enqueue"; readonly queue: string; readonly value: string }
  | { readonly kind: "create"; readonly path: string }
  /** An ephemeral node of the client's session. */
  | { readonly kind: "ephemeral"; readonly path: string }
  /** sync(path) then exists(path): is an ephemeral there, and whose is it? */
  | { readonly kind: "checkEphemeral"; readonly path: string }
  /** closeSession: the session ends (its ephemerals must go with it). */
  | { readonly kind: "close" };

/** One operation as the client saw it: invoked, then ok, failed (definitely not applied) or unknown. */
export interface HistoryEntry {
  readonly client: number;
  readonly op: SimOp;
  /** The session it was sent on (0 when the client had none). */
  readonly sessionId: bigint;
  readonly invokeMs: number;
  completeMs: number | null;
  outcome: "ok" | "fail" | "unknown" | "pending";
  /** The error code's name when the server refused it (BADVERSION, NONODE, ...). */
  error?: string;
  /** Reads: the data; writes: what was written. */
  value?: string;
  /** Reads: the Stat version; writes: the new version. */
  version?: number;
  /** Creates: the path created (with its sequence suffix). */
  created?: string;
  /** checkEphemeral: whether the node existed, and its owner when it did. */
  exists?: boolean;
  owner?: bigint;
  /** The zxid the reply header carried, and for writes and reads the znode's mzxid (czxid for creates). */
  replyZxid?: bigint;
  txnZxid?: bigint;
  member?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Errors that prove a write did not happen; any other error leaves its outcome unknown. */
const DEFINITE_FAILURES = new Set<number>([
  ErrorCode.BADVERSION, ErrorCode.NONODE, ErrorCode.NODEEXISTS, ErrorCode.NOTEMPTY, ErrorCode.NOCHILDRENFOREPHEMERALS, ErrorCode.NOAUTH,
]);
const ERROR_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

const OPEN_ACL = (w: JuteWriter) => w.int(1).int(31).ustring("world").ustring("anyone");

/** The request for `op`: its type and body (sync+read and sync+exists send the sync separately). */
export function encodeOp(op: SimOp): [number, (w: JuteWriter) => void] {
  switch (op.kind) {
    case "write":
      return [OpCode.setData, (w) => w.ustring(op.key).buffer(encoder.encode(op.value)).int(-1)];
    case "cas":
      return [OpCode.setData, (w) => w.ustring(op.key).buffer(encoder.encode(op.value)).int(op.version)];
    case "read":
    case "syncRead":
    case "watchRead":
      return [OpCode.getData, (w) => w.ustring(op.key).bool(op.kind === "watchRead")];
    case "create":
      return [OpCode.create, (w) => OPEN_ACL(w.ustring(op.path).buffer(new Uint8Array(0))).int(0)];
    case "ephemeral":
      return [OpCode.create, (w) => OPEN_ACL(w.ustring(op.path).buffer(encoder.encode("e"))).int(1)];
    case "enqueue":
      return [OpCode.create2, (w) => OPEN_ACL(w.ustring(`${op.queue}/item-`).buffer(encoder.encode(op.value))).int(2)];
    case "checkEphemeral":
      return [OpCode.exists, (w) => w.ustring(op.path).bool(false)];
    case "close":
      return [OpCode.closeSession, () => {}];
  }
}

/** The path a sync before the op names, for the ops that sync first. */
export function syncPathOf(op: SimOp): string | null {
  if (op.kind === "syncRead") return op.key;
  if (op.kind === "checkEphemeral") return op.path;
  return null;
}

/** Fills in an entry from its reply. */
export function decodeResult(entry: HistoryEntry, err: number, r: JuteReader): void {
  const op = entry.op;
  if (op.kind === "checkEphemeral" && err === ErrorCode.NONODE) {
    entry.outcome = "ok";
    entry.exists = false;
    return;
  }
  if (err !== ErrorCode.OK) {
    entry.error = ERROR_NAMES.get(err) ?? String(err);
    const isRead = op.kind === "read" || op.kind === "syncRead" || op.kind === "watchRead" || op.kind === "checkEphemeral";
    entry.outcome = isRead || DEFINITE_FAILURES.has(err) ? "fail" : "unknown";
    return;
  }
  entry.outcome = "ok";
  decodeOk(entry, r);
}

function decodeOk(entry: HistoryEntry, r: JuteReader): void {
  const op = entry.op;
  switch (op.kind) {
    case "write":
    case "cas": {
      const stat = readStat(r);
      entry.value = op.value;
      entry.version = stat.version;
      entry.txnZxid = stat.mzxid;
      return;
    }
    case "read":
    case "syncRead":
    case "watchRead": {
      entry.value = decoder.decode(r.buffer() ?? new Uint8Array(0));
      const stat = readStat(r);
      entry.version = stat.version;
      entry.txnZxid = stat.mzxid;
      return;
    }
    case "enqueue": {
      entry.value = op.value;
      entry.created = r.string();
      entry.txnZxid = readStat(r).czxid;
      return;
    }
    case "create":
    case "ephemeral":
      entry.created = r.string();
      return;
    case "checkEphemeral": {
      const stat = readStat(r);
      entry.exists = true;
      entry.owner = stat.ephemeralOwner;
      entry.txnZxid = stat.czxid;
      return;
    }
    case "close":
      return;
  }
}

/** Whether the op changes state (its outcome matters when the connection breaks). */
export function isWriteOp(op: SimOp): boolean {
  return op.kind !== "read" && op.kind !== "syncRead" && op.kind !== "watchRead" && op.kind !== "checkEphemeral";
}
