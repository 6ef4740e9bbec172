import { StorageError, StorageErrorCode } from "../../core/storage/storage_error.ts";
import type { ServerConfig } from "../../core/server/server_config.ts";

/** What `paddock server` says when it cannot start, and its exit status. */
export interface StartFailure {
  message: string;
  exitCode: number;
}

/** ZooKeeper's ExitCode.UNABLE_TO_ACCESS_DATADIR. */
const EXIT_DATADIR = 3;
const EXIT_FAILED = 1;

/** Why a listen failed, in the words an operator searches for. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: "address already in use (another server on that port?)",
  EACCES: "permission denied (ports below 1024 need privileges)",
  EADDRNOTAVAIL: "address not available on this machine",
  ENOTFOUND: "host name not found",
};

/**
 * One line for a start-up failure, no stack trace: the listen address or the data directory and
 * what went wrong. Anything unrecognised still gets one line with its message.
 *
 * @example startFailure(Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" }), config).message
 * // "cannot listen on 127.0.0.1:2181: address already in use (another server on that port?)"
 */
export function startFailure(error: unknown, config: ServerConfig): StartFailure {
  if (error instanceof StorageError) {
    const exitCode = error.code === StorageErrorCode.notWritable ? EXIT_DATADIR : EXIT_FAILED;
    return { message: error.message, exitCode };
  }
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && code in LISTEN_ERRORS) {
    return { message: `cannot listen on ${config.clientPortAddress}:${config.clientPort}: ${LISTEN_ERRORS[code]}`, exitCode: EXIT_FAILED };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: `could not start: ${message}`, exitCode: EXIT_FAILED };
}
