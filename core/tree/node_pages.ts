/**
 * The fields of every znode, stored off the JavaScript heap: struct-of-arrays in fixed pages of
 * SharedArrayBuffer, one slot per znode. A million znodes are a few hundred pages instead of a
 * million objects with BigInts for the garbage collector to trace, and a page can be read by a
 * snapshot worker as it is.
 *
 * Pages are copy-on-write while a snapshot image holds them: {@link NodePages.capture} marks every
 * page shared (O(pages)), and the first write to a shared page afterwards copies it, so the image
 * keeps the state of the instant it was captured however the tree moves on, without the capture
 * itself copying anything.
 */

/** log2 of the slots per page. */
export const PAGE_SHIFT = 12;
/** Slots per page. */
export const PAGE_SLOTS = 1 << PAGE_SHIFT;
/** slot & PAGE_MASK is the slot's index inside its page. */
export const PAGE_MASK = PAGE_SLOTS - 1;

/**
 * The 64-bit fields, kept as doubles: zxids and times are exact up to 2^53 (an epoch below 2^21,
 * a wall clock before the year 287396), which every conversion checks.
 */
export const F64 = { czxid: 0, mzxid: 1, pzxid: 2, ctime: 3, mtime: 4 } as const;
/** Number of {@link F64} fields. */
export const F64_FIELDS = 5;

/**
 * The 32-bit fields. Links (parent, children, siblings) are slots, -1 for none. The children of a
 * node form a doubly linked list in insertion order (the order ZooKeeper's HashSet breaks bucket
 * ties with). `region` is where the node's name and data live in the byte arena (chunk, offset);
 * `dataLength` is -1 for null data. `digest` is the node's share of the tree digest (a uint32's
 * bits). The owner is ephemeralOwner's high and low halves. `aclId` is -1 for a free slot.
 */
export const I32 = {
  version: 0,
  cversion: 1,
  aversion: 2,
  childrenPeak: 3,
  numChildren: 4,
  parent: 5,
  firstChild: 6,
  lastChild: 7,
  prevSibling: 8,
  nextSibling: 9,
  aclId: 10,
  regionChunk: 11,
  regionOffset: 12,
  dataLength: 13,
  digest: 14,
  ownerHigh: 15,
  ownerLow: 16,
} as const;
/** Number of {@link I32} fields. */
export const I32_FIELDS = 17;

/** Where the 32-bit fields start in a page's Int32Array. */
export const I32_BASE = F64_FIELDS * PAGE_SLOTS * 2;
/** Bytes per page. */
export const PAGE_BYTES = F64_FIELDS * PAGE_SLOTS * 8 + I32_FIELDS * PAGE_SLOTS * 4;

/** One page and its two views. `images` counts the snapshot images holding it. */
export interface NodePage {
  readonly buffer: SharedArrayBuffer;
  readonly f64: Float64Array;
  readonly i32: Int32Array;
  images: number;
}

/** Index of a 64-bit field of `slot` in its page's `f64`. */
export function f64Index(slot: number, field: number): number {
  return field * PAGE_SLOTS + (slot & PAGE_MASK);
}

/** Index of a 32-bit field of `slot` in its page's `i32`. */
export function i32Index(slot: number, field: number): number {
  return I32_BASE + field * PAGE_SLOTS + (slot & PAGE_MASK);
}

/** Views over a page buffer (a live page's, or a frozen one an image holds). */
export function pageOf(buffer: SharedArrayBuffer): NodePage {
  return { buffer, f64: new Float64Array(buffer), i32: new Int32Array(buffer), images: 0 };
}

/** The pages frozen by one capture; release them once the image is no longer read. */
export interface PageCapture {
  readonly pages: readonly NodePage[];
  release(): void;
}

/**
 * The slot-indexed field store. Reads go straight to the page; writes go through
 * {@link NodePages.writable}, which copies a page an image still holds.
 */
export class NodePages {
  readonly #pages: NodePage[] = [];

  /** Slots the pages have room for. */
  get capacity(): number {
    return this.#pages.length * PAGE_SLOTS;
  }

  /** Pages allocated (each {@link PAGE_BYTES}). */
  get pageCount(): number {
    return this.#pages.length;
  }

  /** Pages copied because a snapshot image held them when they were written (for metrics). */
  copiedPages = 0;

  /** Makes room for `slot`. */
  ensure(slot: number): void {
    // Bounded: one page per round up to the slot's page.
    while (this.capacity <= slot) this.#pages.push(pageOf(new SharedArrayBuffer(PAGE_BYTES)));
  }

  /** The page holding `slot`, for reading. */
  page(slot: number): NodePage {
    return this.#pages[slot >>> PAGE_SHIFT]!;
  }

  /** The page holding `slot`, for writing: a copy if an image holds the current one. */
  writable(slot: number): NodePage {
    const index = slot >>> PAGE_SHIFT;
    const page = this.#pages[index]!;
    if (page.images === 0) return page;
    const copy = pageOf(new SharedArrayBuffer(PAGE_BYTES));
    new Int32Array(copy.buffer).set(page.i32);
    this.#pages[index] = copy;
    this.copiedPages++;
    return copy;
  }

  f64(slot: number, field: number): number {
    return this.#pages[slot >>> PAGE_SHIFT]!.f64[field * PAGE_SLOTS + (slot & PAGE_MASK)]!;
  }

  i32(slot: number, field: number): number {
    return this.#pages[slot >>> PAGE_SHIFT]!.i32[I32_BASE + field * PAGE_SLOTS + (slot & PAGE_MASK)]!;
  }

  setF64(slot: number, field: number, value: number): void {
    this.writable(slot).f64[field * PAGE_SLOTS + (slot & PAGE_MASK)] = value;
  }

  setI32(slot: number, field: number, value: number): void {
    this.writable(slot).i32[I32_BASE + field * PAGE_SLOTS + (slot & PAGE_MASK)] = value;
  }

  /** Freezes the current pages for an image: writes from now on go to copies. */
  capture(): PageCapture {
    const pages = [...this.#pages];
    for (const page of pages) page.images++;
    let released = false;
    return {
      pages,
      release: () => {
        if (released) return;
        released = true;
        for (const page of pages) page.images--;
      },
    };
  }

  /** Drops every page (the store is being reloaded). */
  clear(): void {
    this.#pages.length = 0;
  }
}
