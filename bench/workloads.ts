/**
 * The workloads the load generator runs, as request plans over pre-encoded templates.
 * Keys live under `/bench/v<valueBytes>/` (one set per value size, so a getData of a 1 KiB
 * workload really returns 1 KiB); creates go under a parent unique to the run.
 */
import { ErrorCode } from "../core/proto/error_code.ts";
import { OpCode } from "../core/proto/op_code.ts";
import type { ConnectionPlan } from "./load_connection.ts";
import { multiCreateTemplate, requestTemplate } from "./wire.ts";

/** Workload names, as the CLI and the result tables spell them. */
export const Workload = {
  create: "create",
  setData: "setData",
  getData: "getData",
  exists: "exists",
  /** 90 % getData, 10 % setData on the same keys. */
  mix: "mix",
  /** exists on paths that are not there (how lock and barrier recipes wait): the NONODE path. */
  existsMissing: "existsMissing",
  /** Deletes what a `create` run with the same run tag made, each session its own nodes in order. */
  delete: "delete",
  /** A multi of {@link MULTI_CREATES} creates per request. */
  multiCreate: "multiCreate",
} as const;

/** Creates per request of the multiCreate workload. */
export const MULTI_CREATES = 10;
/** One of {@link Workload}. */
export type Workload = (typeof Workload)[keyof typeof Workload];

/** Root of everything the benchmark creates. */
export const BENCH_ROOT = "/bench";
/** Pre-created keys per value size: enough to spread, few enough to create in well under a second. */
export const KEY_COUNT_DEFAULT = 1000;

/** Where one workload's keys and creates go. */
export interface WorkloadPaths {
  keyParent: string;
  keyPrefix: string;
  createParent: string;
}

/** Paths of a run; `runTag` makes create paths unique across runs on the same server. */
export function workloadPaths(valueBytes: number, runTag: string): WorkloadPaths {
  const keyParent = `${BENCH_ROOT}/v${valueBytes}`;
  return { keyParent, keyPrefix: `${keyParent}/k-`, createParent: `${BENCH_ROOT}/c-${runTag}` };
}

/** A value of the given size (content is irrelevant, but not all zeros). */
export function valueOf(valueBytes: number): Uint8Array {
  const value = new Uint8Array(valueBytes);
  for (let i = 0; i < valueBytes; i++) value[i] = 97 + (i % 26);
  return value;
}

/** Identifies one session among all sessions of a run (for unique create paths and key spread). */
export interface SessionSlot {
  worker: number;
  session: number;
}

/**
 * The request plan of one session for a workload.
 *
 * @example const plan = workloadPlan({ workload: "mix", valueBytes: 100, keyCount: 1000, paths, slot });
 */
export function workloadPlan(opts: {
  workload: Workload;
  valueBytes: number;
  keyCount: number;
  paths: WorkloadPaths;
  slot: SessionSlot;
}): ConnectionPlan {
  const { workload, keyCount, paths, slot } = opts;
  const data = valueOf(opts.valueBytes);
  // Sessions start at different keys and stride through them, so load spreads over all keys.
  const start = (slot.worker * 7919 + slot.session * 104_729) % keyCount;
  const key = (seq: number) => (start + seq * 31) % keyCount;
  const ownPrefix = `${paths.createParent}/w${slot.worker}-s${slot.session}-`;
  switch (workload) {
    case Workload.create:
      return { templates: [requestTemplate(ownPrefix, { op: OpCode.create, data })], templateFor: () => 0, suffixFor: (seq) => seq };
    case Workload.delete:
      return { templates: [requestTemplate(ownPrefix, { op: OpCode.delete })], templateFor: () => 0, suffixFor: (seq) => seq };
    case Workload.multiCreate: {
      const prefix = `${paths.createParent}/m${slot.worker}-s${slot.session}-`;
      return { templates: [multiCreateTemplate(prefix, MULTI_CREATES, data)], templateFor: () => 0, suffixFor: (seq) => seq };
    }
    case Workload.setData:
      return { templates: [requestTemplate(paths.keyPrefix, { op: OpCode.setData, data })], templateFor: () => 0, suffixFor: key };
    case Workload.getData:
      return { templates: [requestTemplate(paths.keyPrefix, { op: OpCode.getData })], templateFor: () => 0, suffixFor: key };
    case Workload.exists:
      return { templates: [requestTemplate(paths.keyPrefix, { op: OpCode.exists })], templateFor: () => 0, suffixFor: key };
    case Workload.existsMissing:
      return { templates: [requestTemplate(`${paths.keyParent}/missing-`, { op: OpCode.exists })], templateFor: () => 0, suffixFor: key };
    case Workload.mix: {
      const templates = [
        requestTemplate(paths.keyPrefix, { op: OpCode.getData }),
        requestTemplate(paths.keyPrefix, { op: OpCode.setData, data }),
      ];
      return { templates, templateFor: (seq) => (seq % 10 === 9 ? 1 : 0), suffixFor: key };
    }
  }
}

/**
 * The plan that creates the parents and the `keyCount` keys of a value size (run once per size;
 * NODEEXISTS from an earlier run is fine).
 */
export function preparePlan(opts: { valueBytes: number; keyCount: number; paths: WorkloadPaths }): ConnectionPlan {
  const data = valueOf(opts.valueBytes);
  const empty = new Uint8Array(0);
  const parents = [BENCH_ROOT, opts.paths.keyParent, opts.paths.createParent].map((path) =>
    requestTemplate(path, { op: OpCode.create, data: empty }, false)
  );
  const templates = [...parents, requestTemplate(opts.paths.keyPrefix, { op: OpCode.create, data })];
  const keyTemplate = parents.length;
  return {
    templates,
    templateFor: (seq) => Math.min(seq, keyTemplate),
    suffixFor: (seq) => seq - keyTemplate,
  };
}

/** Requests in the prepare plan. */
export function prepareCount(keyCount: number): number {
  return 3 + keyCount;
}

/** Error replies a workload expects, which are therefore not counted as errors. */
export function toleratedErrors(workload: Workload): ReadonlySet<number> {
  return workload === Workload.existsMissing ? new Set([ErrorCode.NONODE]) : new Set();
}

/** Error codes a prepare run expects. */
export const PREPARE_TOLERATED: ReadonlySet<number> = new Set([ErrorCode.NODEEXISTS]);
