import { type HistoryOp, OpKind, OpStatus, type RegisterValue } from "./history.ts";
import type { Model } from "./linearizability.ts";

/**
 * A znode used as a register: its data, its Stat version, and its mzxid when known (an unknown
 * write leaves it unknown until a read shows it).
 */
export interface RegisterState {
  value: string;
  version: number;
  mzxid: bigint | undefined;
}

const BAD_VERSION = "BADVERSION";

/**
 * ZooKeeper's setData/getData semantics on one znode as a sequential specification:
 * - read: returns the current data, version and mzxid;
 * - write (version -1): new data, version + 1, a higher mzxid, and it returns that version;
 * - cas: like write when the expected version is current, else BadVersion and no change;
 * - an unknown write or cas may take effect (as above) or not at all; an unknown read says nothing.
 *
 * @example checkLinearizable(timed, registerModel({ value: "init", version: 0 }))
 */
export function registerModel(initial: RegisterValue): Model<RegisterState, HistoryOp> {
  return {
    init: { value: initial.value, version: initial.version, mzxid: initial.mzxid },
    step: stepRegister,
    key: (s) => `${s.version}\u0000${s.mzxid ?? ""}\u0000${s.value}`,
  };
}

/** The state after `op`, or undefined when `op` could not have answered what it did. */
export function stepRegister(state: RegisterState, op: HistoryOp): RegisterState | undefined {
  if (op.status === OpStatus.unknown) return stepUnknown(state, op);
  switch (op.kind) {
    case OpKind.read:
      return stepRead(state, op);
    case OpKind.write:
      return op.status === OpStatus.ok ? stepWrite(state, op) : state;
    case OpKind.cas:
      if (op.status === OpStatus.ok) return op.expectedVersion === state.version ? stepWrite(state, op) : undefined;
      // BadVersion is an answer: at that moment the version was another one. Other errors say nothing.
      return op.error !== BAD_VERSION || op.expectedVersion !== state.version ? state : undefined;
    default:
      throw new Error(`register model: cannot step a ${op.kind} operation (op #${op.id})`);
  }
}

function stepRead(state: RegisterState, op: HistoryOp): RegisterState | undefined {
  if (op.status !== OpStatus.ok) return state;
  const r = op.result!;
  if (r.value !== state.value || r.version !== state.version) return undefined;
  if (r.mzxid === undefined) return state;
  if (state.mzxid !== undefined) return r.mzxid === state.mzxid ? state : undefined;
  return { ...state, mzxid: r.mzxid };
}

function stepWrite(state: RegisterState, op: HistoryOp): RegisterState | undefined {
  const r = op.result!;
  if (r.version !== state.version + 1) return undefined;
  if (r.mzxid !== undefined && state.mzxid !== undefined && r.mzxid <= state.mzxid) return undefined;
  return { value: op.value!, version: state.version + 1, mzxid: r.mzxid };
}

/** An unknown outcome: the write happens now with any answer (the "never" case is placing it last). */
function stepUnknown(state: RegisterState, op: HistoryOp): RegisterState {
  if (op.kind === OpKind.write || (op.kind === OpKind.cas && op.expectedVersion === state.version)) {
    return { value: op.value!, version: state.version + 1, mzxid: undefined };
  }
  return state;
}
