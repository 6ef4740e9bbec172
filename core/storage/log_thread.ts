/**
 * What the txn log's writer needs of a thread that writes its records off the event loop
 * (core/io/worker_log_thread.ts on real files; nothing in the simulator, whose log writer writes
 * through its Disk as before). The log writer keeps every decision (segments, rolls, the spare,
 * close); the thread only writes the bytes it is given, in order, grows the segment ahead of them
 * and says when they are durable.
 */

/** The segment the thread appends to next. */
export interface LogThreadSegment {
  /** The file's path (the thread opens it itself: a descriptor is not shared by every runtime's threads). */
  readonly path: string;
  /** Where the next bytes go. */
  readonly writeOffset: number;
  /** The file's size now (preallocated zeros included). */
  readonly allocatedBytes: number;
  /** The file grows in steps of this many bytes once a write would pass its size. */
  readonly preAllocBytes: number;
  /** Open with O_DSYNC (or write then fdatasync): false only when forceSync is off. */
  readonly sync: boolean;
}

/** A write the thread has taken (its bytes are copied; the caller may reuse them). */
export interface LogThreadWrite {
  /** Resolves once the bytes are durable; rejects (and so do all later ones) if the thread failed. */
  readonly durable: Promise<void>;
}

/** A thread that writes the log's records (see the module comment). */
export interface LogThread {
  /** Later writes go to this segment (after every earlier write). */
  useSegment(segment: LogThreadSegment): Promise<void>;
  /** Queues bytes behind every earlier write; resolves once they are copied to the thread. */
  write(bytes: Uint8Array): Promise<LogThreadWrite>;
  /** Resolves once everything queued is durable; rejects if the thread failed. */
  idle(): Promise<void>;
  /** Once idle, the thread closes its handle on the segment (before the writer truncates or renames it). */
  release(): Promise<void>;
  /** Called once per completed write of the thread: how many system writes it took and how long (ms). */
  onSynced: ((writes: number, ms: number) => void) | null;
  /** Stops the thread after what is queued; later writes are refused. */
  close(): Promise<void>;
}

/**
 * The size a segment is grown to so that `end` fits: the next multiple of the step. Like
 * ZooKeeper this extends the size (one metadata update per step) rather than writing zeros.
 */
export function preallocatedSize(end: number, stepBytes: number): number {
  return Math.ceil(end / stepBytes) * stepBytes;
}
