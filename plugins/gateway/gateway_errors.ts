import { ErrorCode, errorName, KeeperError } from "../../core/proto/error_code.ts";

/** ZooKeeper's error code names (KeeperException.Code), by number. */
const CODE_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/** The HTTP status each ZooKeeper error maps to. */
const STATUS: Record<number, number> = {
  [ErrorCode.NONODE]: 404,
  [ErrorCode.NODEEXISTS]: 409,
  [ErrorCode.BADVERSION]: 409,
  [ErrorCode.NOTEMPTY]: 409,
  [ErrorCode.NOCHILDRENFOREPHEMERALS]: 400,
  [ErrorCode.BADARGUMENTS]: 400,
  [ErrorCode.INVALIDACL]: 400,
  [ErrorCode.MARSHALLINGERROR]: 400,
  [ErrorCode.NOAUTH]: 403,
  [ErrorCode.AUTHFAILED]: 401,
  [ErrorCode.SESSIONEXPIRED]: 410,
  [ErrorCode.QUOTAEXCEEDED]: 413,
  [ErrorCode.UNIMPLEMENTED]: 501,
  [ErrorCode.CONNECTIONLOSS]: 503,
  [ErrorCode.OPERATIONTIMEOUT]: 504,
  [ErrorCode.NOWATCHER]: 404,
};

/** The JSON body of every gateway error. */
export interface GatewayErrorBody {
  /** ZooKeeper's code name: NONODE, NODEEXISTS, NOAUTH, BADARGUMENTS, ... */
  error: string;
  code: number;
  message: string;
  path?: string;
}

/** An error the gateway answers with, already mapped to a status. */
export class GatewayError extends Error {
  override name = "GatewayError";
  constructor(readonly status: number, readonly body: GatewayErrorBody) {
    super(body.message);
  }

  /** Bad input: ZooKeeper's BADARGUMENTS with a message saying what is wrong. */
  static badArguments(message: string, status = 400): GatewayError {
    return new GatewayError(status, { error: "BADARGUMENTS", code: ErrorCode.BADARGUMENTS, message });
  }
}

/**
 * Maps anything a handler threw to a status and body: KeeperErrors keep ZooKeeper's code and name;
 * anything else is a 500 whose message says so (the server keeps running).
 */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof KeeperError) {
    const body: GatewayErrorBody = {
      error: CODE_NAMES.get(error.code) ?? `UNKNOWN(${error.code})`,
      code: error.code,
      message: error.message,
      ...(error.path === undefined ? {} : { path: error.path }),
    };
    return new GatewayError(STATUS[error.code] ?? 500, body);
  }
  if (error instanceof RangeError) return new GatewayError(503, { error: "THROTTLEDOP", code: ErrorCode.THROTTLEDOP, message: error.message });
  return new GatewayError(500, { error: "SYSTEMERROR", code: ErrorCode.SYSTEMERROR, message: `internal error: ${(error as Error)?.message ?? error}` });
}

/** The Java client's text for a code. */
export function codeMessage(code: number): string {
  return errorName(code);
}
