// A participant process for the lock and election tests: one client, one recipe, lines on stdout.
//   mutex <connect> <lockPath> <counterPath> <markerDir> <iterations>
//   rwlock <connect> <lockPath> <markerDir> <read|write> <iterations> <holdMs>
//   semaphore <connect> <path> <markerDir> <maxLeases> <iterations> <holdMs>
//   latch <connect> <path> <id> <sessionTimeoutMs>          (until stdin closes or it is killed)
//   bench <connect> <lockPath> <rounds>                      ("latency_us <n>" per acquire+release)
// A holder creates an ephemeral marker and checks it is not in bad company ("OVERLAP ..." if it is).
import { createClient, CreateMode, type Client } from "../../mod.ts";
import { LeaderLatch, Mutex, ReadWriteLock, Semaphore } from "../../recipes/mod.ts";

const [mode, connect, ...rest] = process.argv.slice(2);
const say = (line: string) => process.stdout.write(line + "\n");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

async function ensure(client: Client, path: string): Promise<void> {
  let current = "";
  for (const part of path.split("/").filter((p) => p !== "")) {
    current += "/" + part;
    await client.create(current).catch(() => undefined);
  }
}

async function mark(client: Client, markerDir: string, kind: string): Promise<string[]> {
  await client.create(`${markerDir}/${kind}-${tag}`, null, { mode: CreateMode.EPHEMERAL });
  return (await client.getChildren(markerDir)).children;
}

async function mutexMode(client: Client): Promise<void> {
  const [lockPath, counterPath, markerDir, iterations] = rest as [string, string, string, string];
  await ensure(client, markerDir);
  const mutex = new Mutex(client, lockPath);
  let lastToken = -1n;
  for (let i = 0; i < Number(iterations); i++) {
    await using lease = await mutex.acquire({ signal: AbortSignal.timeout(60_000) });
    if (lease.fencingToken <= lastToken) say(`STALE_TOKEN ${lease.fencingToken} after ${lastToken}`);
    lastToken = lease.fencingToken;
    const others = (await mark(client, markerDir, "holder")).filter((c) => c !== `holder-${tag}`);
    if (others.length > 0) say(`OVERLAP ${others.join(",")}`);
    const { data } = await client.getData(counterPath);
    await client.setData(counterPath, String(Number(new TextDecoder().decode(data ?? undefined)) + 1));
    await client.delete(`${markerDir}/holder-${tag}`);
  }
  await mutex.close();
}

async function rwlockMode(client: Client): Promise<void> {
  const [lockPath, markerDir, role, iterations, holdMs] = rest as [string, string, string, string, string];
  await ensure(client, markerDir);
  const rw = new ReadWriteLock(client, lockPath);
  const side = role === "write" ? rw.writeLock : rw.readLock;
  const kind = role === "write" ? "w" : "r";
  let maxReaders = 0;
  for (let i = 0; i < Number(iterations); i++) {
    await using _lease = await side.acquire({ signal: AbortSignal.timeout(60_000) });
    const present = await mark(client, markerDir, kind);
    const writers = present.filter((c) => c.startsWith("w-"));
    if (role === "write" && present.length > 1) say(`OVERLAP ${present.join(",")}`);
    if (role === "read" && writers.length > 0) say(`OVERLAP ${present.join(",")}`);
    maxReaders = Math.max(maxReaders, present.filter((c) => c.startsWith("r-")).length);
    await sleep(Number(holdMs));
    await client.delete(`${markerDir}/${kind}-${tag}`);
  }
  say(`maxReaders ${maxReaders}`);
  await rw.close();
}

async function semaphoreMode(client: Client): Promise<void> {
  const [path, markerDir, maxLeases, iterations, holdMs] = rest as [string, string, string, string, string];
  await ensure(client, markerDir);
  const semaphore = new Semaphore(client, path, { maxLeases: Number(maxLeases) });
  let maxHolders = 0;
  for (let i = 0; i < Number(iterations); i++) {
    await using _lease = await semaphore.acquire({ signal: AbortSignal.timeout(60_000) });
    const present = await mark(client, markerDir, "h");
    if (present.length > Number(maxLeases)) say(`OVERLAP ${present.length} holders`);
    maxHolders = Math.max(maxHolders, present.length);
    await sleep(Number(holdMs));
    await client.delete(`${markerDir}/h-${tag}`);
  }
  say(`maxHolders ${maxHolders}`);
  await semaphore.close();
}

async function latchMode(client: Client): Promise<void> {
  const [path, id] = rest as [string, string];
  const latch = new LeaderLatch(client, path, { id });
  latch.on("leader", (term) => say(`leader ${id} ${term.fencingToken}`));
  latch.on("notLeader", () => say(`notLeader ${id}`));
  latch.on("error", (err) => say(`error ${id} ${(err as Error).message}`));
  client.on("state", (s) => say(`state ${id} ${s}`));
  latch.start();
  say(`started ${id}`);
  await new Promise<void>((resolve) => {
    process.stdin.on("end", resolve);
    process.stdin.on("close", resolve);
    process.stdin.resume();
  });
  await latch.close();
}

async function benchMode(client: Client): Promise<void> {
  const [lockPath, rounds] = rest as [string, string];
  const mutex = new Mutex(client, lockPath);
  const out: string[] = [];
  for (let i = 0; i < Number(rounds); i++) {
    const t0 = performance.now();
    const lease = await mutex.acquire();
    await lease.release();
    out.push(`latency_us ${Math.round((performance.now() - t0) * 1000)}`);
  }
  say(out.join("\n"));
  await mutex.close();
}

const sessionTimeoutMs = mode === "latch" ? Number(rest[2] ?? 4000) : 10_000;
const client = createClient(connect!, { sessionTimeoutMs });
await client.ready({ signal: AbortSignal.timeout(20_000) });
const modes: Record<string, (c: Client) => Promise<void>> = { mutex: mutexMode, rwlock: rwlockMode, semaphore: semaphoreMode, latch: latchMode, bench: benchMode };
try {
  const run = modes[mode ?? ""];
  if (run === undefined) throw new Error(`unknown mode ${mode}`);
  await run(client);
  say("done");
} catch (err) {
  say(`FAILED ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
} finally {
  await client.close().catch(() => undefined);
}
process.exit();
