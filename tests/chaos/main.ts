// `npm run chaos`: real-process chaos against an ensemble of ZooKeeper 3.9.3 and/or Paddock
// members. Runs 3 and then 5 members (by default) under faults with register, CAS, queue and lock
// workloads through the Paddock and the Java clients, checks the histories and prints a report
// per run. Exit code 0 when every run is clean, 1 when a checker found something, 2 when the runs
// could not happen (missing tools, or Paddock members while Paddock cannot form an ensemble).
import { join } from "node:path";
import * as v from "valibot";
import { ensembleMissing } from "../support/ensemble.ts";
import { REPO_ROOT } from "../support/runtime.ts";
import { javaClientsMissing } from "./clients/java_chaos_client.ts";
import { ALL_FAULT_KINDS, type FaultKind } from "./nemesis.ts";
import { formatReport } from "./report.ts";
import { ClientKind, memberKinds, runChaos, ServerMix } from "./run_chaos.ts";

const USAGE = `usage: npm run chaos -- [--servers zookeeper|paddock|mixed] [--members 3,5] [--observers n]
                        [--duration seconds] [--seed n] [--clients paddock,java] [--faults kind,...] [--out dir]
  --servers   what the members run (default zookeeper; mixed alternates ZooKeeper and Paddock)
  --members   voting members per run, comma-separated for several runs (default 3,5)
  --observers non-voting members added to each run (default 0)
  --duration  seconds of workload under faults per run (default 60)
  --seed      seeds fault schedule and workloads (default random; printed for replay)
  --clients   client libraries driving the workloads (default paddock,java)
  --faults    fault kinds (default all): ${ALL_FAULT_KINDS.join(", ")}
  --out       where each run's history.json, report.json and member logs go (default .cache/chaos)`;

const list = <T extends string>(allowed: readonly T[]) =>
  v.pipe(v.string(), v.transform((s) => s.split(",").filter((x) => x !== "")), v.array(v.picklist(allowed)), v.minLength(1));

const ArgsSchema = v.object({
  servers: v.optional(v.picklist(Object.values(ServerMix)), ServerMix.zookeeper),
  members: v.optional(v.pipe(v.string(), v.transform((s) => s.split(",").map(Number)), v.array(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(9)))), "3,5"),
  observers: v.optional(v.pipe(v.string(), v.transform(Number), v.number(), v.integer(), v.minValue(0), v.maxValue(4)), "0"),
  duration: v.optional(v.pipe(v.string(), v.transform(Number), v.number(), v.minValue(5)), "60"),
  seed: v.optional(v.pipe(v.string(), v.transform(Number), v.number(), v.integer())),
  clients: v.optional(list(Object.values(ClientKind)), "paddock,java"),
  faults: v.optional(list(ALL_FAULT_KINDS as FaultKind[]), ALL_FAULT_KINDS.join(",")),
  out: v.optional(v.string(), join(REPO_ROOT, ".cache", "chaos")),
});

/** Bad command-line arguments: printed without a stack trace. */
class UsageError extends Error {
  override name = "UsageError";
}

function parseArgs(argv: readonly string[]): v.InferOutput<typeof ArgsSchema> {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    }
    if (!flag.startsWith("--") || argv[i + 1] === undefined) throw new UsageError(`bad argument ${flag}\n${USAGE}`);
    raw[flag.slice(2)] = argv[++i]!;
  }
  const parsed = v.safeParse(v.strictObject(ArgsSchema.entries), raw);
  if (!parsed.success) throw new UsageError(`${parsed.issues.map((i) => `${v.getDotPath(i) ?? "argument"}: ${i.message}`).join("; ")}\n${USAGE}`);
  return parsed.output;
}

async function cannotRun(args: v.InferOutput<typeof ArgsSchema>): Promise<string | null> {
  const kinds = args.members.flatMap((n) => memberKinds(args.servers, n + args.observers));
  const missing = ensembleMissing(kinds);
  if (missing !== null) return missing;
  return args.clients.includes(ClientKind.java) ? javaClientsMissing() : null;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const why = await cannotRun(args);
  if (why !== null) {
    console.error(`chaos cannot run: ${why}`);
    return 2;
  }
  const seed = args.seed ?? Math.floor(Math.random() * 2 ** 31);
  let clean = true;
  for (const members of args.members) {
    const started = performance.now();
    const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${line}`);
    const observed = args.observers > 0 ? ` + ${args.observers} observers` : "";
    console.log(`=== chaos: ${args.servers}, ${members} members${observed}, ${args.duration} s, seed ${seed} (replay: --seed ${seed})`);
    const report = await runChaos({
      servers: args.servers, members, observers: args.observers, durationMs: args.duration * 1000, seed, clients: args.clients, faults: args.faults,
      outDir: join(args.out, `${args.servers}-${members}-${seed}`), log,
    });
    console.log(formatReport(report));
    clean &&= report.valid;
  }
  return clean ? 0 : 1;
}

// exit() rather than exitCode: a client library's stray timer must not keep a finished run alive.
process.exit(
  await main().catch((err: unknown) => {
    console.error(err instanceof UsageError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err));
    return 2;
  }),
);
