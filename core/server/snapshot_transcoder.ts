/**
 * Paddock's snapshot of a tree written while the tree is loaded (a learner receiving a SNAP), so
 * that installing it afterwards is a write and an fsync, not an encode of the whole tree: a
 * million-znode SNAP left the learner 1.2 to 1.9 s of encoding after its last byte.
 *
 * The records come out in load order, which is the pre-order snapshot_codec.ts writes (a ZooKeeper
 * snapshot is pre-order, and a loaded node becomes its parent's last child). Two things are only
 * known at the end and filled in then: each node's childrenPeak (its children come after it), and
 * the header (sessions, ACL table, node count). The nodes below /zookeeper are encoded at the end
 * too: the load is followed by changes to them (quota stats recomputed, the member's own
 * /zookeeper/config put back), and there are few of them. The result is the same bytes
 * `encodeSnapshot` would give for the tree at the end (tests/snapshot_transcoder.test.ts).
 */
import type { SnapshotStream } from "../storage/txn_log.ts";
import type { DataTree } from "../tree/data_tree.ts";
import { I32, PAGE_MASK, PAGE_SLOTS, I32_BASE } from "../tree/node_pages.ts";
import { NO_SLOT } from "../tree/node_reader.ts";
import type { ImageSession } from "../tree/tree_image.ts";
import { RECORD_PEAK_FROM_END, recordBytes, SNAPSHOT_CHUNK_BYTES, snapshotHeader, writeRecord } from "./snapshot_codec.ts";

/** A part of the snapshot after its header: written records, or one record to encode at the end. */
type Part = Uint8Array | { readonly slot: number; readonly parentRecord: number };

const SYSTEM_NAME = "zookeeper";
/** Initial capacity of the per-record and per-slot arrays (they double as needed). */
const INITIAL_RECORDS = 1024;

/**
 * Records each node as the tree takes it; {@link finish} gives the snapshot.
 *
 * @example
 * const transcoder = new SnapshotTranscoder(tree);
 * const decoder = new ZkSnapshotDecoder(tree, { onNode: (slot) => transcoder.added(slot) });
 * // ... the whole SNAP pushed, the tree adopted ...
 * const stream = transcoder.finish(liveSessions(sessions)) ?? encodeSnapshot(tree, sessions);
 */
export class SnapshotTranscoder {
  readonly #tree: DataTree;
  readonly #chunkBytes: number;
  readonly #parts: Part[] = [];
  #out: Uint8Array;
  #view: DataView;
  #used = 0;
  #records = 0;
  /** Per slot: its record number. */
  #recordOf = new Int32Array(INITIAL_RECORDS);
  /** Per record: its slot, and where its childrenPeak field is (part index, offset); -1: encoded at the end. */
  #slots = new Int32Array(INITIAL_RECORDS);
  #peakPart = new Int32Array(INITIAL_RECORDS);
  #peakAt = new Int32Array(INITIAL_RECORDS);
  /** Per record: 1 for /zookeeper and the nodes below it. */
  #system = new Uint8Array(INITIAL_RECORDS);
  /** False once a node came that breaks the pre-order (never from a valid snapshot). */
  #inOrder = true;

  constructor(tree: DataTree, chunkBytes = SNAPSHOT_CHUNK_BYTES) {
    this.#tree = tree;
    this.#chunkBytes = chunkBytes;
    this.#out = new Uint8Array(chunkBytes);
    this.#view = new DataView(this.#out.buffer);
  }

  /** The node in `slot` was just loaded (after its parent, before any other node). */
  added(slot: number): void {
    const nodes = this.#tree.store;
    const record = this.#records++;
    this.#grow(Math.max(record, slot) + 1);
    const parent = nodes.parent(slot);
    const parentRecord = parent === NO_SLOT ? -1 : this.#recordOf[parent]!;
    if (record === 0 ? parent !== NO_SLOT : parent === NO_SLOT || this.#slots[parentRecord] !== parent) this.#inOrder = false;
    this.#recordOf[slot] = record;
    this.#slots[record] = slot;
    const system = parentRecord > 0 ? this.#system[parentRecord]! : parentRecord === 0 && nodes.nameOf(slot) === SYSTEM_NAME ? 1 : 0;
    this.#system[record] = system;
    if (system === 1) {
      this.#closeChunk();
      this.#parts.push({ slot, parentRecord });
      this.#peakPart[record] = -1;
      return;
    }
    const size = recordBytes(nodes, slot);
    if (this.#used + size > this.#out.length) {
      this.#closeChunk();
      if (size > this.#out.length) {
        this.#out = new Uint8Array(size);
        this.#view = new DataView(this.#out.buffer);
      }
    }
    this.#used = writeRecord(this.#out, this.#view, this.#used, nodes, slot, parentRecord);
    this.#peakPart[record] = this.#parts.length;
    this.#peakAt[record] = this.#used - RECORD_PEAK_FROM_END;
  }

  /**
   * The snapshot of the tree as it is now, with `sessions`; null when the tree no longer holds
   * exactly the nodes recorded (then encode it the ordinary way). Call it once, before the tree
   * changes again: the chunks are handed over, not copied.
   */
  finish(sessions: readonly ImageSession[]): SnapshotStream | null {
    const tree = this.#tree;
    if (!this.#inOrder || tree.nodeCount !== this.#records) return null;
    this.#closeChunk();
    const parts = this.#parts;
    const chunks: Uint8Array[] = [snapshotHeader({ zxid: tree.lastProcessedZxid, digestEnabled: tree.digestEnabled, sessions, acls: tree.acls.capture(), nodeCount: this.#records })];
    const nodes = tree.store;
    for (let record = 0; record < this.#records; record++) {
      const part = this.#peakPart[record]!;
      if (part < 0) continue;
      const slot = this.#slots[record]!;
      const page = nodes.page(slot);
      const peak = page.i32[I32_BASE + I32.childrenPeak * PAGE_SLOTS + (slot & PAGE_MASK)]!;
      if (peak !== 0) new DataView((parts[part] as Uint8Array).buffer).setInt32(this.#peakAt[record]!, peak);
    }
    let length = chunks[0]!.length;
    for (const part of parts) {
      const chunk = part instanceof Uint8Array ? part : this.#encodeNow(part.slot, part.parentRecord);
      chunks.push(chunk);
      length += chunk.length;
    }
    this.#parts.length = 0;
    return { length, chunks: iterate(chunks) };
  }

  #encodeNow(slot: number, parentRecord: number): Uint8Array {
    const nodes = this.#tree.store;
    const out = new Uint8Array(recordBytes(nodes, slot));
    writeRecord(out, new DataView(out.buffer), 0, nodes, slot, parentRecord);
    return out;
  }

  /** Ends the chunk being written (its bytes, not the rest of its buffer, become a part). */
  #closeChunk(): void {
    if (this.#used === 0) return;
    this.#parts.push(this.#out.subarray(0, this.#used));
    this.#out = new Uint8Array(this.#chunkBytes);
    this.#view = new DataView(this.#out.buffer);
    this.#used = 0;
  }

  #grow(needed: number): void {
    if (needed <= this.#slots.length && needed <= this.#recordOf.length) return;
    const capacity = Math.max(needed, 2 * this.#slots.length);
    const grown = <T extends Int32Array | Uint8Array>(from: T, make: (n: number) => T): T => {
      const to = make(capacity);
      to.set(from);
      return to;
    };
    this.#recordOf = grown(this.#recordOf, (n) => new Int32Array(n));
    this.#slots = grown(this.#slots, (n) => new Int32Array(n));
    this.#peakPart = grown(this.#peakPart, (n) => new Int32Array(n));
    this.#peakAt = grown(this.#peakAt, (n) => new Int32Array(n));
    this.#system = grown(this.#system, (n) => new Uint8Array(n));
  }
}

async function* iterate(chunks: readonly Uint8Array[]): AsyncIterable<{ bytes: Uint8Array }> {
  for (const bytes of chunks) yield { bytes };
}
