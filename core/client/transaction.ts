import { type ACL, CreateMode } from "../proto/mod.ts";
import { Acls } from "./acls.ts";
import type { Op, OpResult } from "./multi.ts";
import { toBytes } from "./data.ts";
import type { Data } from "./types.ts";

/** Options of a create (alone or in a transaction). */
export interface CreateOptions {
  /** Default: OPEN_ACL_UNSAFE. */
  acl?: readonly ACL[];
  /** A {@link CreateMode} value; default PERSISTENT. */
  mode?: number;
  /** Required for the TTL modes. */
  ttlMs?: number;
}

/** Turns create arguments into a transaction op. */
export function createOp(path: string, data: Data | null, opts: CreateOptions): Extract<Op, { op: "create" }> {
  return {
    op: "create",
    path,
    data: toBytes(data),
    acl: opts.acl ?? Acls.OPEN_ACL_UNSAFE,
    mode: opts.mode ?? CreateMode.PERSISTENT,
    ttlMs: opts.ttlMs ?? -1,
  };
}

/**
 * Collects ops and commits them atomically with one multi request: all apply or none do.
 *
 * @example
 * await client.transaction().check("/cfg", 3).setData("/cfg", "v4", 3).create("/cfg/log-", "x", { mode: CreateMode.PERSISTENT_SEQUENTIAL }).commit();
 */
export class Transaction {
  readonly #ops: Op[] = [];
  readonly #commit: (ops: readonly Op[]) => Promise<OpResult[]>;

  constructor(commit: (ops: readonly Op[]) => Promise<OpResult[]>) {
    this.#commit = commit;
  }

  create(path: string, data: Data | null = null, opts: CreateOptions = {}): this {
    this.#ops.push(createOp(path, data, opts));
    return this;
  }

  delete(path: string, version = -1): this {
    this.#ops.push({ op: "delete", path, version });
    return this;
  }

  setData(path: string, data: Data | null, version = -1): this {
    this.#ops.push({ op: "setData", path, data: toBytes(data), version });
    return this;
  }

  check(path: string, version: number): this {
    this.#ops.push({ op: "check", path, version });
    return this;
  }

  get ops(): readonly Op[] {
    return this.#ops;
  }

  /** Sends the ops; throws MultiError (a KeeperError with per-op results) when any op fails. */
  commit(): Promise<OpResult[]> {
    return this.#commit(this.#ops);
  }
}
