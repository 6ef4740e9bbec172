import { HoldEnd, OpKind, sequenceOf } from "../../history/history.ts";
import { type ChaosSession, NodeMode } from "../clients/chaos_client.ts";
import { type ActorContext, type ActorSession, recordCall, runActorLoop, sleep, withTimeout } from "./actor.ts";

/** Lock nodes are `<lock>/lock-NNNNNNNNNN`, ephemeral sequential. */
export const LOCK_PREFIX = "lock-";
const HOLD_MS_MIN = 20;
const HOLD_MS_MAX = 250;
const GAP_MS_MAX = 100;

/**
 * One lock client, the ZooKeeper recipe: create an ephemeral sequential node, list the
 * children; the lowest holds the lock, anyone else watches only its predecessor and looks again
 * when it goes. A holder keeps the lock for a moment, then deletes its node. When the connection
 * is lost it stops believing it holds the lock at that instant (Curator's SUSPENDED), abandons
 * the session (its node goes with it) and starts over. Every holding interval is recorded.
 */
export function runLockActor(context: ActorContext, lock: string): Promise<number> {
  return runActorLoop(context, GAP_MS_MAX, async (zk, session) => {
    let lost = false;
    const stopListening = session.onLost(() => (lost = true));
    const clean = await lockOnce(context, session, zk, lock, () => lost).catch(() => false);
    stopListening();
    if (!clean || lost) await session.abandon();
  });
}

/** One acquire-hold-release round; false when the session must be abandoned. */
async function lockOnce(context: ActorContext, session: ActorSession, zk: ChaosSession, lock: string, isLost: () => boolean): Promise<boolean> {
  const { opTimeoutMs } = context;
  const created = await recordCall(context, session, zk, { kind: OpKind.create, key: lock, sequential: true, value: context.label }, async () => {
    const path = await withTimeout(zk.create(`${lock}/${LOCK_PREFIX}`, context.label, NodeMode.ephemeralSequential), opTimeoutMs);
    return { name: path.slice(lock.length + 1) };
  });
  if (created === undefined) return false;
  const node = created.name!;
  // Each round either acquires, waits for the predecessor, or gives up; the signal bounds it.
  while (!context.signal.aborted && !isLost()) {
    const children = (await withTimeout(zk.getChildren(lock), opTimeoutMs)).sort((a, b) => (sequenceOf(a) ?? 0) - (sequenceOf(b) ?? 0));
    const index = children.indexOf(node);
    if (index < 0 || isLost()) return false;
    if (index === 0) return hold(context, session, zk, lock, node);
    await waitForPredecessor(context, session, zk, `${lock}/${children[index - 1]}`);
  }
  return false;
}

/** Holds the lock for a random moment or until the connection is lost, then releases it. */
async function hold(context: ActorContext, session: ActorSession, zk: ChaosSession, lock: string, node: string): Promise<boolean> {
  const { recorder, process, opTimeoutMs } = context;
  const acquiredAt = recorder.now();
  let lostAt: number | undefined;
  const holdDone = new AbortController();
  const stop = session.onLost(() => {
    lostAt = recorder.now();
    holdDone.abort();
  });
  const onPhaseEnd = () => holdDone.abort();
  context.signal.addEventListener("abort", onPhaseEnd, { once: true });
  await sleep(HOLD_MS_MIN + context.random.int(HOLD_MS_MAX - HOLD_MS_MIN), holdDone.signal);
  stop();
  context.signal.removeEventListener("abort", onPhaseEnd);
  const base = { lock, process, session: zk.sessionId, node, acquiredAt };
  if (lostAt !== undefined) {
    recorder.hold(base, HoldEnd.disconnected, lostAt);
    return false;
  }
  recorder.hold(base, context.signal.aborted ? HoldEnd.end : HoldEnd.release);
  // A failed release abandons the session, which deletes the ephemeral node anyway.
  return withTimeout(zk.delete(`${lock}/${node}`, -1), opTimeoutMs).then(() => true, () => false);
}

/** Watches the predecessor; returns when it is gone, the connection is lost, or a timeout passes. */
async function waitForPredecessor(context: ActorContext, session: ActorSession, zk: ChaosSession, predecessor: string): Promise<void> {
  const woken = new AbortController();
  const stop = session.onLost(() => woken.abort());
  const onPhaseEnd = () => woken.abort();
  context.signal.addEventListener("abort", onPhaseEnd, { once: true });
  try {
    if (await withTimeout(zk.exists(predecessor, () => woken.abort()), context.opTimeoutMs)) await sleep(context.sessionTimeoutMs * 2, woken.signal);
  } finally {
    stop();
    context.signal.removeEventListener("abort", onPhaseEnd);
  }
}
