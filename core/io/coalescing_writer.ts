import { Buffer } from "node:buffer";

/** Bytes written in one turn, up to this many, are copied into one buffer; more leave as they are. */
const COALESCE_MAX_BYTES = 64 * 1024;

/** Writes collected until the current turn of the event loop ends, then handed on together. */
export interface CoalescingWriter {
  write(bytes: Uint8Array): void;
  /** Hands on what is pending now (before a close). */
  flush(): void;
  /** Bytes written and not yet handed on. */
  readonly pendingBytes: number;
}

/**
 * Collects the writes of one turn (until process.nextTick) and hands them on as one: a small batch
 * copied into one buffer from Node's shared pool (one system call, no ArrayBuffer of its own for
 * the GC to track), a large one as it is, through `writeMany` when the sink can batch them itself.
 */
export function coalescingWriter(
  write: (bytes: Uint8Array) => void,
  writeMany: (chunks: readonly Uint8Array[]) => void = (chunks) => chunks.forEach(write),
): CoalescingWriter {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const chunks = pending;
    const bytes = pendingBytes;
    pending = [];
    pendingBytes = 0;
    if (chunks.length === 0) return;
    if (chunks.length === 1) return write(chunks[0]!);
    if (bytes > COALESCE_MAX_BYTES) return writeMany(chunks);
    const out = Buffer.allocUnsafe(bytes);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    write(out);
  };
  return {
    write(bytes) {
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (!scheduled) {
        scheduled = true;
        process.nextTick(flush);
      }
    },
    flush,
    get pendingBytes() {
      return pendingBytes;
    },
  };
}
