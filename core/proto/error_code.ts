/** Result codes as ZooKeeper numbers them (KeeperException.Code). */
export const ErrorCode = {
  OK: 0,
  SYSTEMERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  DATAINCONSISTENCY: -3,
  CONNECTIONLOSS: -4,
  MARSHALLINGERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATIONTIMEOUT: -7,
  BADARGUMENTS: -8,
  UNKNOWNSESSION: -12,
  NEWCONFIGNOQUORUM: -13,
  RECONFIGINPROGRESS: -14,
  APIERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDCALLBACK: -113,
  INVALIDACL: -114,
  AUTHFAILED: -115,
  SESSIONMOVED: -118,
  NOTREADONLY: -119,
  EPHEMERALONLOCALSESSION: -120,
  NOWATCHER: -121,
  REQUESTTIMEOUT: -122,
  RECONFIGDISABLED: -123,
  SESSIONCLOSEDREQUIRESASLAUTH: -124,
  QUOTAEXCEEDED: -125,
  THROTTLEDOP: -127,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The names the Java client uses in its messages (`KeeperErrorCode = NoNode`). */
const codeNames: Record<number, string> = {
  0: "OK",
  [-1]: "SystemError",
  [-2]: "RuntimeInconsistency",
  [-3]: "DataInconsistency",
  [-4]: "ConnectionLoss",
  [-5]: "MarshallingError",
  [-6]: "Unimplemented",
  [-7]: "OperationTimeout",
  [-8]: "BadArguments",
  [-12]: "UnknownSession",
  [-13]: "NewConfigNoQuorum",
  [-14]: "ReconfigInProgress",
  [-100]: "APIError",
  [-101]: "NoNode",
  [-102]: "NoAuth",
  [-103]: "BadVersion",
  [-108]: "NoChildrenForEphemerals",
  [-110]: "NodeExists",
  [-111]: "Directory not empty",
  [-112]: "Session expired",
  [-113]: "Invalid callback",
  [-114]: "InvalidACL",
  [-115]: "AuthFailed",
  [-118]: "Session moved",
  [-119]: "Not a read-only call",
  [-120]: "Ephemeral node on local session",
  [-121]: "No such watcher",
  [-122]: "Request timeout",
  [-123]: "Reconfig is disabled",
  [-124]: "Session closed because client failed to authenticate",
  [-125]: "Quota has exceeded",
  [-127]: "Op throttled due to high load",
};

/** ZooKeeper's text for a code, e.g. `NoNode`, or `Unknown(N)`. */
export function errorName(code: number): string {
  return codeNames[code] ?? `Unknown(${code})`;
}

/**
 * An error a ZooKeeper operation can answer with. `code` is ZooKeeper's number, `name` its text,
 * `path` the znode the failing operation named (when there is one).
 *
 * @example
 * try { await client.getData("/missing"); }
 * catch (e) { if (e instanceof KeeperError && e.code === ErrorCode.NONODE) { ... } }
 */
export class KeeperError extends Error {
  override name = "KeeperError";
  readonly code: number;
  readonly path: string | undefined;

  constructor(code: number, path?: string) {
    super(`KeeperErrorCode = ${errorName(code)}${path === undefined ? "" : ` for ${path}`}`);
    this.code = code;
    this.path = path;
  }

  /** ZooKeeper's text for the code (`NoNode`, `BadVersion`, ...). */
  get codeName(): string {
    return errorName(this.code);
  }
}
