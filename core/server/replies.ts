import { JuteWriter } from "../proto/jute_writer.ts";
import { OpCode } from "../proto/op_code.ts";
import { writeMultiHeader } from "../proto/records.ts";
import { writeNodeStat } from "../tree/znode.ts";
import type { ApplyResult } from "../txn/apply_txn.ts";

/** Starts a framed reply: the length is filled in by finishFrame(). */
export function replyWriter(xid: number, zxid: bigint, err: number, capacityBytes = 128): JuteWriter {
  return new JuteWriter(capacityBytes, { framed: true }).int(xid).long(zxid).int(err);
}

/** An error reply carries only the header, as in ZooKeeper. */
export function errorReply(xid: number, zxid: bigint, err: number): Uint8Array {
  return replyWriter(xid, zxid, err, 20).finishFrame();
}

/**
 * The answer to a SASL token from a server without SASL, as ZooKeeper gives it: OK with zxid 0 and
 * no response token; the connection stays (the client then goes on without SASL).
 */
export function saslReply(xid: number): Uint8Array {
  return replyWriter(xid, 0n, 0, 24).buffer(null).finishFrame();
}

/** The reply to an applied write, shaped by the request type (create vs create2 etc.). */
export function writeReply(requestType: number, xid: number, zxid: bigint, result: ApplyResult): Uint8Array {
  if (result.err !== 0) return errorReply(xid, zxid, result.err);
  const w = replyWriter(xid, zxid, 0);
  writeResultBody(w, requestType, result);
  return w.finishFrame();
}

function writeResultBody(w: JuteWriter, requestType: number, result: ApplyResult): void {
  switch (requestType) {
    case OpCode.create:
      w.ustring(result.path!);
      return;
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      w.ustring(result.path!);
      writeNodeStat(w, result.stat!);
      return;
    case OpCode.setData:
    case OpCode.setACL:
      writeNodeStat(w, result.stat!);
      return;
    case OpCode.multi:
      writeMultiResults(w, result.multi ?? []);
      return;
    default:
      // delete, check, closeSession, createSession: no body.
      return;
  }
}

/**
 * The op type a multi result is announced with. ZooKeeper's FinalRequestProcessor answers a
 * container or TTL create with a CreateResult carrying a Stat, whose type is create2, and a
 * container deletion with a DeleteResult: the Java client's MultiResponse knows no other types and
 * would fail to decode the whole reply.
 */
function multiResultType(type: number): number {
  if (type === OpCode.createContainer || type === OpCode.createTTL) return OpCode.create2;
  if (type === OpCode.deleteContainer) return OpCode.delete;
  return type;
}

function writeMultiResults(w: JuteWriter, results: readonly ApplyResult[]): void {
  for (const sub of results) {
    const type = multiResultType(sub.type);
    writeMultiHeader(w, { type, done: false, err: type === OpCode.error ? sub.err : 0 });
    switch (type) {
      case OpCode.create:
        w.ustring(sub.path!);
        break;
      case OpCode.create2:
        w.ustring(sub.path!);
        writeNodeStat(w, sub.stat!);
        break;
      case OpCode.setData:
        writeNodeStat(w, sub.stat!);
        break;
      case OpCode.error:
        w.int(sub.err);
        break;
      default:
        break;
    }
  }
  writeMultiHeader(w, { type: -1, done: true, err: -1 });
}
