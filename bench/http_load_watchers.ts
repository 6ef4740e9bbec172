// A separate process holding N Server-Sent Events watches on a gateway (so their parsing does not
// share the load generator's event loop). Prints "ready" once every watch is subscribed; on
// "stop" from stdin waits for the events still on their way, prints how many were received and exits.
// Usage: http_load_watchers.ts <gateway base url> <count> <path>
import process from "node:process";
import { GatewayClient } from "../core/client/http/mod.ts";

const [base, countText, path] = process.argv.slice(2);
const stop = new AbortController();
const gateway = new GatewayClient(base!);
let events = 0;
const watches = Array.from({ length: Number(countText) }, () => gateway.watch(path!, { recursive: true, signal: stop.signal }));
await Promise.all(watches.map((w) => w.ready));
const readers = watches.map(async (w) => {
  for await (const _ of w) events++;
});
process.stdout.write("ready\n");
/** Events still in the pipe when the load stops are counted: wait until none arrived for 500 ms (at most 20 s). */
async function drained(): Promise<void> {
  const deadline = performance.now() + 20_000;
  for (let last = -1; last !== events && performance.now() < deadline;) {
    last = events;
    await new Promise((r) => setTimeout(r, 500));
  }
}
process.stdin.on("data", async () => {
  await drained();
  stop.abort();
  await Promise.allSettled(readers);
  process.stdout.write(`events ${events}\n`);
  process.exit(0);
});
