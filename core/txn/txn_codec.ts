import { NULL_DATA, writeData } from "../tree/znode.ts";
import { JuteReader } from "../proto/jute_reader.ts";
import { JuteWriter } from "../proto/jute_writer.ts";
import { OpCode } from "../proto/op_code.ts";
import { readAcls, writeAcls } from "../proto/records.ts";
import type { Txn, TxnHeader } from "./txn.ts";


/** Serializes a header and its txn for the log (jute, ZooKeeper's TxnHeader field order). */
export function encodeTxn(header: TxnHeader, txn: Txn): Uint8Array {
  const w = new JuteWriter(64 + ((txn as { data?: Uint8Array }).data?.length ?? 0));
  w.long(header.sessionId).int(header.cxid).long(header.zxid).long(header.time).int(header.type);
  writeBody(w, txn);
  // A view, not a copy: JuteWriter never hands a region of its slabs out twice.
  return w.bytes();
}

function writeBody(w: JuteWriter, txn: Txn): void {
  w.int(txn.type);
  switch (txn.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      w.ustring(txn.path);
      writeData(w, txn.data);
      writeAcls(w, txn.acl);
      w.long(txn.ephemeralOwner).int(txn.parentCVersion);
      return;
    case OpCode.delete:
    case OpCode.deleteContainer:
      w.ustring(txn.path);
      return;
    case OpCode.setData:
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
      w.int(txn.txns.length);
      for (const sub of txn.txns) writeBody(w, sub);
      return;
  }
}

/** The inverse of encodeTxn; throws JuteError on bytes it cannot read. */
export function decodeTxn(bytes: Uint8Array): { header: TxnHeader; txn: Txn } {
  const r = new JuteReader(bytes);
  const header: TxnHeader = { sessionId: r.long(), cxid: r.int(), zxid: r.long(), time: r.long(), type: r.int() };
  return { header, txn: readBody(r, 0) };
}

function readBody(r: JuteReader, depth: number): Txn {
  const type = r.int();
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL: {
      const path = r.string();
      const data = r.buffer() ?? NULL_DATA;
      const acl = readAcls(r) ?? [];
      return { type, path, data, acl, ephemeralOwner: r.long(), parentCVersion: r.int() };
    }
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { type, path: r.string() };
    case OpCode.setData:
      return { type, path: r.string(), data: r.buffer() ?? NULL_DATA, version: r.int() };
    case OpCode.setACL:
      return { type, path: r.string(), acl: readAcls(r) ?? [], version: r.int() };
    case OpCode.check:
      return { type, path: r.string(), version: r.int() };
    case OpCode.createSession:
      return { type, timeoutMs: r.int() };
    case OpCode.closeSession:
      return { type, paths: r.ustrings() ?? [] };
    case OpCode.error:
      return { type, err: r.int() };
    case OpCode.multi: {
      if (depth > 0) throw new Error("txn codec: nested multi");
      const count = r.vectorLength(4);
      const txns: Txn[] = [];
      for (let i = 0; i < count; i++) txns.push(readBody(r, depth + 1));
      return { type, txns };
    }
    default:
      throw new Error(`txn codec: unknown txn type ${type}`);
  }
}
