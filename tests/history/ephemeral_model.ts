import type { Model } from "./linearizability.ts";

/** An ephemeral znode's life: not yet created, there, or gone with its session (never to return). */
export type EphemeralState = "absent" | "present" | "gone";

/**
 * What happens to one ephemeral znode (its path is unique: created once, by one session):
 * - create: its create; ok, or unknown (it may have happened, or never);
 * - end: its session's end (closeSession answered: ok; an expiry, or a close without answer: unknown);
 * - exists: a read after a barrier (sync+exists) that saw it there or not.
 */
export type EphemeralOp =
  | { readonly kind: "create"; readonly certain: boolean }
  | { readonly kind: "end"; readonly certain: boolean }
  | { readonly kind: "exists"; readonly present: boolean };

/**
 * ZooKeeper's ephemeral semantics as a sequential specification: a create makes the node present
 * only while its session lives (after the session's end a create fails, and nothing brings the
 * node back); the session's end removes it; it vanishes at no other time (the workloads delete
 * no ephemeral explicitly). An operation with an unknown outcome may take effect at its place in
 * the order or not at all (the checker can also place it after everything).
 *
 * @example checkLinearizable(ops, ephemeralModel()).verdict // "linearizable"
 */
export function ephemeralModel(): Model<EphemeralState, EphemeralOp> {
  return { init: "absent", step: stepEphemeral, key: (s) => s };
}

/** The state after `op`, or undefined when `op` could not have answered what it did. */
export function stepEphemeral(state: EphemeralState, op: EphemeralOp): EphemeralState | undefined {
  switch (op.kind) {
    case "create":
      if (state === "absent") return "present";
      // A create that certainly happened cannot come after the session's end (or twice).
      return op.certain ? undefined : state;
    case "end":
      return "gone";
    case "exists":
      return (state === "present") === op.present ? state : undefined;
  }
}
