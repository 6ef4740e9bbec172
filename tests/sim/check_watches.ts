import { OpCode } from "../../core/proto/op_code.ts";
import { EventType } from "../../core/proto/watch_event.ts";
import type { DataTree } from "../../core/tree/data_tree.ts";
import type { Violation } from "./checks.ts";
import { type CommittedTxn, flatTxns } from "./committed_history.ts";
import type { SimClient, WatchEvent } from "./sim_client.ts";

/** What the watch checks look at. */
export interface WatchRecord {
  readonly clients: readonly SimClient[];
  readonly committed: readonly CommittedTxn[];
  /** The converged ensemble's tree (null: it did not converge). */
  readonly finalTree: DataTree | null;
  /** Clients that reconnected and answered a read after the run, with that reply's zxid: their pending watches are judged up to it. */
  readonly settled: ReadonlyMap<number, bigint>;
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

/**
 * Watches fire once per change and never for a zxid the client has not seen applied:
 * - every event uses up a watch the session set (a one-shot watch fires once);
 * - an event names a committed setData of its path, after the zxid at which the watch was set
 *   (re-registration events after a reconnect, which carry no zxid, need such a change too);
 * - it arrives before any reply on its connection that shows that zxid or a later one (the client
 *   learns of the change before it can see the new data);
 * - a watch still pending at the end, on a client that reconnected and re-registered it, has no
 *   change after it up to the zxid of the client's last reply (else its event was lost).
 */
export function checkWatches(record: WatchRecord): Violation[] {
  const changes = dataChanges(record.committed);
  const violations: Violation[] = [];
  for (const client of record.clients) {
    for (const event of client.events) violations.push(...checkEvent(event, changes, record.finalTree));
    const settledZxid = record.settled.get(client.index);
    if (settledZxid === undefined) continue;
    for (const [path, registered] of client.pendingWatches) {
      const missed = (changes.get(path) ?? []).find((zxid) => zxid > registered && zxid <= settledZxid);
      if (missed !== undefined) {
        violations.push({ check: "watches", detail: `client ${client.index}: its watch on ${path} set at ${hex(registered)} never fired, though ${path} changed at ${hex(missed)} (its last read answered at ${hex(settledZxid)})` });
      }
    }
  }
  return violations.slice(0, 8);
}

/** Per path, the zxids of committed setData txns. */
function dataChanges(committed: readonly CommittedTxn[]): Map<string, bigint[]> {
  const changes = new Map<string, bigint[]>();
  for (const { header, txn } of committed) {
    for (const sub of flatTxns(txn)) {
      if (sub.type !== OpCode.setData) continue;
      const list = changes.get(sub.path) ?? [];
      list.push(header.zxid);
      changes.set(sub.path, list);
    }
  }
  return changes;
}

function checkEvent(event: WatchEvent, changes: ReadonlyMap<string, readonly bigint[]>, finalTree: DataTree | null): Violation[] {
  const who = `client ${event.client} (session ${hex(event.sessionId)}, member ${event.member}) at ${event.atMs.toFixed(1)} ms`;
  const what = `${eventName(event.type)} for ${event.path} with zxid ${hex(event.zxid)}`;
  if (event.registeredZxid === null) return [{ check: "watches", detail: `${who} got ${what} without a watch pending (a watch fired twice, or unasked)` }];
  if (event.type !== EventType.NodeDataChanged) return [{ check: "watches", detail: `${who} got ${what}: the registers only ever change data` }];
  const zxids = changes.get(event.path) ?? [];
  if (event.zxid === -1n) {
    // The committed history may miss a txn an epoch committed through a sync alone; the final
    // tree's mzxid still shows that the node changed after the watch was set.
    const finalMzxid = finalTree?.getNode(event.path)?.mzxid ?? -1n;
    if (zxids.some((z) => z > event.registeredZxid!) || finalMzxid > event.registeredZxid) return [];
    return [{ check: "watches", detail: `${who} got ${what} on re-registration, but ${event.path} never changed after ${hex(event.registeredZxid)}` }];
  }
  if (!zxids.includes(event.zxid)) return [{ check: "watches", detail: `${who} got ${what}, which is no committed change of ${event.path}` }];
  if (event.zxid <= event.registeredZxid) return [{ check: "watches", detail: `${who} got ${what}, a change before its watch was set at ${hex(event.registeredZxid)}` }];
  if (event.repliedZxidBefore >= event.zxid) {
    return [{ check: "watches", detail: `${who} got ${what} after its connection had already answered at ${hex(event.repliedZxidBefore)}` }];
  }
  return [];
}

function eventName(type: number): string {
  return Object.entries(EventType).find(([, v]) => v === type)?.[0] ?? String(type);
}
