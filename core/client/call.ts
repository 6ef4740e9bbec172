import type { JuteReader } from "../proto/mod.ts";
import type { OneShotKind } from "./watch_registry.ts";
import type { Watcher } from "./types.ts";

/** A one-shot watch to register once the server has answered the read that asked for it. */
export interface WatchRegistration {
  kind: OneShotKind;
  /** Client (chroot-relative) path. */
  path: string;
  watcher: Watcher;
}

/**
 * One request on its way: the encoded frame, how to read its answer, and the promise to settle.
 * The frame is built once at submission; nothing is re-encoded when it is finally sent.
 */
export interface Call {
  xid: number;
  opCode: number;
  frame: Uint8Array;
  /** Client path named in a KeeperError, when the op has one. */
  path: string | undefined;
  /** Reads the body of a successful reply (header err 0). */
  decode: (r: JuteReader) => unknown;
  /** An error code that is an answer, not a failure (exists -> NONODE -> null). */
  okWhen?: { code: number; value: unknown };
  watch?: WatchRegistration;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}
