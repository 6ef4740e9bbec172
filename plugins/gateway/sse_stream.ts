import type { Id } from "../../core/proto/records.ts";
import { EventType } from "../../core/proto/watch_event.ts";
import type { JournalEvent, JournalPosition, JournalSubscriber, WatchJournal } from "./watch_journal.ts";

const EVENT_NAMES = new Map<number, string>(Object.entries(EventType).map(([name, code]) => [code, name]));
const encoder = new TextEncoder();

/** How one watch stream behaves. */
export interface SseOptions {
  path: string;
  recursive: boolean;
  authIds: readonly Id[];
  /** Resume after this position (Last-Event-ID), or start live. */
  from: JournalPosition | null;
  /** Bytes a slow reader may leave unread before its stream is cut (it resumes by Last-Event-ID). */
  maxBufferedBytes: number;
  heartbeatMs: number;
  onClose?: () => void;
}

/** `<zxid hex>.<index>`: the SSE event id, and what Last-Event-ID brings back. */
export function positionId(p: JournalPosition): string {
  return `${p.zxid.toString(16)}.${p.index}`;
}

/** Parses an event id (or a bare zxid, `0x1f` or `1f`); null when it is not one. */
export function parsePosition(text: string): JournalPosition | null {
  const match = /^(?:0x)?([0-9a-f]{1,16})(?:\.(-1|\d{1,9}))?$/i.exec(text.trim());
  if (match === null) return null;
  return { zxid: BigInt(`0x${match[1]}`), index: match[2] === undefined ? -1 : Number(match[2]) };
}

/**
 * A Server-Sent Events stream of a persistent (or recursive) watch. It opens with a `ready`
 * event (or `reset`, when the requested resume point cannot be replayed), then one event per
 * change with its journal position as the id, and a comment line as heartbeat.
 */
export function sseStream(journal: WatchJournal, options: SseOptions): ReadableStream<Uint8Array> {
  let subscriber: JournalSubscriber | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let done = false;
  // Frames of one turn of the event loop leave as one chunk: a burst of writes to many streams
  // costs a chunk per stream, not a chunk per event per stream.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let flushScheduled = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(heartbeat);
    if (subscriber !== undefined) journal.unsubscribe(subscriber);
    options.onClose?.();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const flush = () => {
        flushScheduled = false;
        if (done || pending.length === 0) return;
        if ((controller.desiredSize ?? 0) < -options.maxBufferedBytes) {
          // The reader is too slow: cut it; it resumes from its last event id (or is told to reset).
          finish();
          controller.close();
          return;
        }
        controller.enqueue(pending.length === 1 ? pending[0]! : concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      };
      const sendBytes = (bytes: Uint8Array) => {
        if (done) return;
        pending.push(bytes);
        pendingBytes += bytes.length;
        if (flushScheduled) return;
        flushScheduled = true;
        scheduleFlush(flush);
      };
      const send = (text: string) => sendBytes(encoder.encode(text));
      subscriber = {
        path: options.path,
        recursive: options.recursive,
        authIds: options.authIds,
        event: (e: JournalEvent) => sendBytes(eventBytes(e)),
        reset: (reason, zxid) => send(frame("reset", positionId({ zxid, index: -1 }), { reason, zxid: `0x${zxid.toString(16)}` })),
      };
      send("retry: 1000\n\n");
      const start = journal.position;
      // Subscribing replays what the reader missed before any live event can arrive.
      const ready = frame("ready", positionId(options.from ?? start), {
        path: options.path,
        recursive: options.recursive,
        zxid: `0x${journal.position.zxid.toString(16)}`,
        resumed: options.from !== null,
      });
      if (options.from === null) send(ready);
      const replayed = journal.subscribe(subscriber, options.from);
      if (options.from !== null && !replayed) {
        subscriber.reset("the events since Last-Event-ID are no longer kept; re-read what you watch", start.zxid);
      } else if (options.from !== null) {
        send(frame("ready", positionId(journal.position), { path: options.path, recursive: options.recursive, zxid: `0x${journal.position.zxid.toString(16)}`, resumed: true }));
      }
      heartbeat = setInterval(() => send(": ping\n\n"), options.heartbeatMs);
      (heartbeat as { unref?: () => void }).unref?.();
    },
    cancel: finish,
  });
}

/** Streams with frames waiting; one timer flushes them all (not one timer per stream). */
const flushes: (() => void)[] = [];

function scheduleFlush(flush: () => void): void {
  flushes.push(flush);
  if (flushes.length > 1) return;
  setTimeout(() => {
    const due = flushes.splice(0);
    for (const run of due) run();
  }, 0);
}

/** An event's frame, encoded once however many streams carry it. */
const encodedFrames = new WeakMap<JournalEvent, Uint8Array>();

function eventBytes(e: JournalEvent): Uint8Array {
  let bytes = encodedFrames.get(e);
  if (bytes === undefined) {
    const type = EVENT_NAMES.get(e.type) ?? String(e.type);
    bytes = encoder.encode(frame(type, positionId(e), { type, path: e.path, zxid: `0x${e.zxid.toString(16)}` }));
    encodedFrames.set(e, bytes);
  }
  return bytes;
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function frame(event: string, id: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
