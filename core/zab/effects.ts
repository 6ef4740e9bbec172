import type { QuorumPacket } from "./wire/quorum_packet.ts";

/** A quorum-port connection as the ZAB machines name it (the runtime maps it to a socket). */
export type LinkId = number;

/**
 * What a ZAB machine asks its runtime to do, in the order it must be done (etcd raft's Ready,
 * flattened into one ordered list so that causality is explicit):
 * - `send`: queue a packet on a link;
 * - `snapshot`: send SNAP(zxid) and then the database serialized at exactly `zxid` (the runtime
 *   captures it at once: every earlier `apply` has been executed, no later one has);
 * - `close`: drop a link;
 * - `append` / `truncate` / `acceptedEpoch` / `currentEpoch`: persist, in this order, and report
 *   back to the machine when durable (appends through `logged`, epochs through `epochPersisted`);
 * - `apply`: the txn is committed (and, on a learner, durable here): apply it and answer;
 * - `established` / `lost`: the role is ready to serve, or must end (go back to LOOKING).
 */
export type ZabEffect =
  | { readonly kind: "send"; readonly link: LinkId; readonly packet: QuorumPacket }
  | { readonly kind: "snapshot"; readonly link: LinkId; readonly zxid: bigint }
  | { readonly kind: "close"; readonly link: LinkId; readonly reason: string }
  | { readonly kind: "append"; readonly zxid: bigint; readonly bytes: Uint8Array }
  | { readonly kind: "acceptedEpoch"; readonly epoch: bigint }
  | { readonly kind: "currentEpoch"; readonly epoch: bigint }
  | { readonly kind: "apply"; readonly zxid: bigint; readonly bytes: Uint8Array }
  | { readonly kind: "established"; readonly epoch: bigint }
  | { readonly kind: "lost"; readonly reason: string }
  | { readonly kind: "log"; readonly line: string };

/** An effect list that machines append to and the runtime drains. */
export class Effects<E> {
  #list: E[] = [];

  push(effect: E): void {
    this.#list.push(effect);
  }

  /** Everything pushed since the last drain, in order. */
  drain(): E[] {
    const list = this.#list;
    this.#list = [];
    return list;
  }
}
