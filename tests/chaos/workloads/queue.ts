import { OpKind, sequenceOf } from "../../history/history.ts";
import { ChaosClientError, NodeMode } from "../clients/chaos_client.ts";
import { type ActorContext, recordCall, runActorLoop, withTimeout } from "./actor.ts";

/** Queue elements are `<queue>/item-NNNNNNNNNN`. */
export const ITEM_PREFIX = "item-";
const HEADS_TRIED = 3;
const PAUSE_MS_MAX = 20;

/**
 * One queue client: half its operations enqueue a unique value (a persistent sequential
 * create), half dequeue (list the children, read the lowest, delete it with its version: whoever
 * deletes it took it; on NoNode try the next one).
 */
export function runQueueActor(context: ActorContext, queue: string): Promise<number> {
  let enqueued = 0;
  return runActorLoop(context, PAUSE_MS_MAX, async (zk, session) => {
    const { opTimeoutMs } = context;
    if (context.random.chance(0.5)) {
      const value = `${context.label}-${++enqueued}`;
      await recordCall(context, session, zk, { kind: OpKind.enqueue, key: queue, sequential: true, value }, async () => {
        const path = await withTimeout(zk.create(`${queue}/${ITEM_PREFIX}`, value, NodeMode.persistentSequential), opTimeoutMs);
        return { name: path.slice(queue.length + 1) };
      });
      return;
    }
    await recordCall(context, session, zk, { kind: OpKind.dequeue, key: queue }, async (op) => {
      const heads = (await withTimeout(zk.getChildren(queue), opTimeoutMs)).sort(bySequence).slice(0, HEADS_TRIED);
      for (const name of heads) {
        const read = await unlessGone(() => withTimeout(zk.getData(`${queue}/${name}`), opTimeoutMs));
        if (read === undefined) continue;
        const value = read.answer.value ?? "";
        // Known before the delete, so an unknown outcome still says which element it may have taken.
        op.value = value;
        if ((await unlessGone(() => withTimeout(zk.delete(`${queue}/${name}`, read.answer.version), opTimeoutMs))) === undefined) continue;
        return { name, value };
      }
      context.recorder.fail(op, heads.length === 0 ? "EMPTY" : "ALL_TAKEN");
      return undefined;
    });
  });
}

/** The call's answer, or undefined when another client took the node first (NoNode, BadVersion). */
async function unlessGone<T>(call: () => Promise<T>): Promise<{ answer: T } | undefined> {
  try {
    return { answer: await call() };
  } catch (err) {
    if (err instanceof ChaosClientError && (err.code === "NONODE" || err.code === "BADVERSION")) return undefined;
    throw err;
  }
}

function bySequence(a: string, b: string): number {
  return (sequenceOf(a) ?? 0) - (sequenceOf(b) ?? 0);
}
