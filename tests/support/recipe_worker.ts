// A recipe worker process for the multi-process tests: `recipe_worker.ts <mode> <connectString> <path> [arg]`.
// Prints one JSON line per thing it did, so the test can check what each process saw.
import { createClient } from "../../core/client/mod.ts";
import { DoubleBarrier } from "../../recipes/double_barrier.ts";
import { DistributedQueue } from "../../recipes/queue.ts";

const [mode, connectString, path, arg] = process.argv.slice(2);
const say = (line: object) => process.stdout.write(JSON.stringify(line) + "\n");
const STOP = "STOP";
const TAKES_MAX = 100_000;

async function consume(): Promise<void> {
  await using client = createClient(connectString!, { sessionTimeoutMs: 6_000 });
  await client.ready({ signal: AbortSignal.timeout(10_000) });
  await using queue = new DistributedQueue(client, path!);
  await queue.start();
  say({ ready: true });
  for (let i = 0; i < TAKES_MAX; i++) {
    const item = new TextDecoder().decode(await queue.take({ signal: AbortSignal.timeout(30_000) }));
    if (item === STOP) break;
    say({ taken: item });
  }
}

async function barrier(): Promise<void> {
  await using client = createClient(connectString!, { sessionTimeoutMs: 6_000 });
  await client.ready({ signal: AbortSignal.timeout(10_000) });
  await using b = new DoubleBarrier(client, path!, { memberQty: Number(arg) });
  await b.start();
  await b.enter({ signal: AbortSignal.timeout(30_000) });
  say({ entered: true });
  await b.leave({ signal: AbortSignal.timeout(30_000) });
  say({ left: true });
}

try {
  if (mode === "consume") await consume();
  else if (mode === "barrier") await barrier();
  else throw new Error(`unknown mode ${mode}`);
  process.exit(0);
} catch (err) {
  say({ error: String(err) });
  process.exit(1);
}
