import { OpKind, sequenceOf } from "../../history/history.ts";
import { ChaosClientError, NodeMode } from "../clients/chaos_client.ts";
import { type ActorContext, ActorSession, sleep, withTimeout } from "./actor.ts";

/** Queue elements are `<queue>/item-NNNNNNNNNN`. */
export const ITEM_PREFIX = "item-";
const HEADS_TRIED = 3;
const THINK_MS_MAX = 20;

/**
 * One queue client: half its operations enqueue a unique value (a persistent sequential
 * create), half dequeue (list the children, read the lowest, delete it with its version: whoever
 * deletes it took it; on NoNode try the next one).
 */
export async function runQueueActor(context: ActorContext, queue: string): Promise<number> {
  const session = new ActorSession(context);
  let enqueued = 0;
  while (!context.signal.aborted) {
    const zk = await session.get();
    if (zk === undefined) break;
    const { recorder, process, opTimeoutMs } = context;
    const base = { process, session: zk.sessionId, key: queue };
    if (context.random.chance(0.5)) {
      const value = `${context.label}-${++enqueued}`;
      const op = recorder.invoke({ ...base, kind: OpKind.enqueue, sequential: true, value });
      try {
        const path = await withTimeout(zk.create(`${queue}/${ITEM_PREFIX}`, value, NodeMode.persistentSequential), opTimeoutMs);
        recorder.ok(op, { name: path.slice(queue.length + 1) }, zk.lastZxid());
      } catch (err) {
        recorder.error(op, err);
        await session.noteError(err);
      }
    } else {
      const op = recorder.invoke({ ...base, kind: OpKind.dequeue });
      try {
        const heads = (await withTimeout(zk.getChildren(queue), opTimeoutMs)).sort(bySequence).slice(0, HEADS_TRIED);
        let taken = false;
        for (const name of heads) {
          const read = await unlessGone(() => withTimeout(zk.getData(`${queue}/${name}`), opTimeoutMs));
          if (read === undefined) continue;
          const { value, version } = read.answer;
          // Known before the delete, so an unknown outcome still says which element it may have taken.
          op.value = value ?? "";
          if ((await unlessGone(() => withTimeout(zk.delete(`${queue}/${name}`, version), opTimeoutMs))) === undefined) continue;
          recorder.ok(op, { name, value: value ?? "" }, zk.lastZxid());
          taken = true;
          break;
        }
        if (!taken) recorder.fail(op, heads.length === 0 ? "EMPTY" : "ALL_TAKEN");
      } catch (err) {
        recorder.error(op, err);
        await session.noteError(err);
      }
    }
    await sleep(context.random.int(THINK_MS_MAX), context.signal);
  }
  await session.abandon();
  return session.opened;
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
