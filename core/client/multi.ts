/**
 * multi (op 14) and multiRead (op 22): a list of sub-requests, each behind a MultiHeader, closed
 * by a header with done=true. Failed transactions answer with header err 0 and an error result
 * per op, so the results are always read.
 */
import {
  type ACL,
  type JuteReader,
  type JuteWriter,
  KeeperError,
  OpCode,
  readMultiHeader,
  writeMultiHeader,
} from "../proto/mod.ts";
import { readClientStat as readStat, type Stat } from "./stat.ts";
import { createOpCode, writeCreateBody, type StripChroot } from "./requests.ts";

/** One operation of a transaction (paths are client paths). */
export type Op =
  | { op: "create"; path: string; data: Uint8Array | null; acl: readonly ACL[]; mode: number; ttlMs: number }
  | { op: "delete"; path: string; version: number }
  | { op: "setData"; path: string; data: Uint8Array | null; version: number }
  | { op: "check"; path: string; version: number };

/** The outcome of one transaction op, in op order. */
export type OpResult =
  | { op: "create"; path: string; stat: Stat | null }
  | { op: "delete" }
  | { op: "setData"; stat: Stat }
  | { op: "check" }
  | { op: "error"; code: number };

/** One read of a multiRead. */
export type ReadOp = { op: "getData"; path: string } | { op: "getChildren"; path: string };

/** The outcome of one multiRead op: reads fail one by one, never as a whole. */
export type ReadResult =
  | { op: "getData"; data: Uint8Array | null; stat: Stat }
  | { op: "getChildren"; children: string[] }
  | { op: "error"; code: number };

/**
 * A failed transaction: `code` is the first failing op's error, `results` says for every op
 * what happened (OK before the failure, RuntimeInconsistency after it).
 *
 * @example catch (e) { if (e instanceof MultiError) console.log(e.results); }
 */
export class MultiError extends KeeperError {
  override name = "MultiError";
  readonly results: OpResult[];
  /** Index of the op that failed. */
  readonly failedIndex: number;

  constructor(code: number, path: string | undefined, results: OpResult[], failedIndex: number) {
    super(code, path);
    this.results = results;
    this.failedIndex = failedIndex;
  }
}

const END = { type: -1, done: true, err: -1 } as const;

export function writeMultiOps(w: JuteWriter, ops: readonly Op[], toServer: (p: string) => string): void {
  for (const op of ops) {
    const path = toServer(op.path);
    switch (op.op) {
      case "create":
        writeMultiHeader(w, { type: createOpCode(op.mode), done: false, err: -1 });
        writeCreateBody(w, path, op.data, op.acl, op.mode, op.ttlMs);
        break;
      case "delete":
        writeMultiHeader(w, { type: OpCode.delete, done: false, err: -1 });
        w.ustring(path).int(op.version);
        break;
      case "setData":
        writeMultiHeader(w, { type: OpCode.setData, done: false, err: -1 });
        w.ustring(path).buffer(op.data).int(op.version);
        break;
      case "check":
        writeMultiHeader(w, { type: OpCode.check, done: false, err: -1 });
        w.ustring(path).int(op.version);
        break;
    }
  }
  writeMultiHeader(w, END);
}

export function readMultiResults(r: JuteReader, opCount: number, strip: StripChroot): OpResult[] {
  const results: OpResult[] = [];
  // One header per op plus the closing one: never more.
  for (let i = 0; i <= opCount; i++) {
    const h = readMultiHeader(r);
    if (h.done) break;
    results.push(readOneResult(r, h.type, strip));
  }
  return results;
}

function readOneResult(r: JuteReader, type: number, strip: StripChroot): OpResult {
  switch (type) {
    case OpCode.create:
      return { op: "create", path: strip(r.string()), stat: null };
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
      return { op: "create", path: strip(r.string()), stat: readStat(r) };
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { op: "delete" };
    case OpCode.setData:
      return { op: "setData", stat: readStat(r) };
    case OpCode.check:
      return { op: "check" };
    default:
      return { op: "error", code: r.int() };
  }
}

/** Throws MultiError when any op failed; returns the results otherwise. */
export function checkMultiResults(ops: readonly Op[], results: OpResult[]): OpResult[] {
  const failed = results.findIndex((x) => x.op === "error" && x.code !== 0);
  if (failed === -1) return results;
  const code = (results[failed] as { code: number }).code;
  throw new MultiError(code, ops[failed]?.path, results, failed);
}

export function writeReadOps(w: JuteWriter, ops: readonly ReadOp[], toServer: (p: string) => string): void {
  for (const op of ops) {
    writeMultiHeader(w, { type: op.op === "getData" ? OpCode.getData : OpCode.getChildren, done: false, err: -1 });
    w.ustring(toServer(op.path)).bool(false);
  }
  writeMultiHeader(w, END);
}

export function readReadResults(r: JuteReader, opCount: number): ReadResult[] {
  const results: ReadResult[] = [];
  for (let i = 0; i <= opCount; i++) {
    const h = readMultiHeader(r);
    if (h.done) break;
    if (h.type === OpCode.getData) results.push({ op: "getData", data: r.buffer(), stat: readStat(r) });
    else if (h.type === OpCode.getChildren) results.push({ op: "getChildren", children: r.ustrings() ?? [] });
    else results.push({ op: "error", code: r.int() });
  }
  return results;
}
