// A crash at every step of truncateAfter and installSnapshot (FileStore on the MemoryDisk): the
// operation is stopped after k state-changing disk calls for every k, the disk crashes (unsynced
// changes dropped, or the last unsynced write of a seeded file torn at a seeded byte), and
// recovery must yield exactly the state before or after the operation, never one in between,
// and carry on appending. A crash in the middle of recovery finishing a decided rewrite is
// checked the same way.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryDisk } from "../core/io/memory_disk.ts";
import type { FileStore } from "../core/storage/file_store.ts";
import { SeededRandom } from "./support/seeded_random.ts";
import { StepDisk } from "./support/step_disk.ts";
import { buildHistory, range, stateOf } from "./support/store_harness.ts";
import { encodeState, openStore, replay, type ToyState, txnBytes } from "./support/storage_fixture.ts";

const EPOCH2 = 0x200000000n;
const DATA = "/data";

interface Scenario {
  readonly name: string;
  readonly history: readonly bigint[];
  readonly snapshots: readonly bigint[];
  readonly operation: (store: FileStore) => Promise<void>;
  readonly after: ToyState;
  /** True when the operation writes file contents (which a crash can tear), not only metadata. */
  readonly writesData: boolean;
}

function leaderState(zxid: bigint): ToyState {
  return { count: 1000, sum: 987_654_321n, last: zxid };
}

function truncation(name: string, history: readonly bigint[], snapshots: readonly bigint[], zxid: bigint): Scenario {
  return { name, history, snapshots, operation: (store) => store.truncateAfter(zxid), after: stateOf(history.filter((z) => z <= zxid)), writesData: false };
}

function install(name: string, history: readonly bigint[], snapshots: readonly bigint[], zxid: bigint): Scenario {
  return { name, history, snapshots, operation: (store) => store.installSnapshot(zxid, encodeState(leaderState(zxid))), after: leaderState(zxid), writesData: true };
}

const SCENARIOS: readonly Scenario[] = [
  truncation("truncateAfter across segments (snapshot, whole segment and a segment's tail go)", range(1n, 40n), [10n, 25n], 18n),
  truncation("truncateAfter to a snapshot boundary", range(1n, 40n), [10n, 25n], 25n),
  truncation("truncateAfter inside an epoch jump", [...range(1n, 5n), ...range(EPOCH2 + 1n, EPOCH2 + 6n)], [], 3n),
  install("installSnapshot behind the log", range(1n, 40n), [10n, 25n, 35n], 20n),
  install("installSnapshot ahead of the log", range(1n, 30n), [10n], EPOCH2 + 7n),
];

/** A MemoryDisk holding the scenario's history, and a store on it through a StepDisk. */
async function prepare(scenario: Scenario): Promise<{ disk: MemoryDisk; step: StepDisk; store: FileStore }> {
  const disk = new MemoryDisk();
  const step = new StepDisk(disk);
  const { store } = openStore(step, DATA);
  await store.recover();
  await buildHistory(store, scenario.history, scenario.snapshots);
  return { disk, step, store };
}

/** Runs `operation` until it finishes or the StepDisk holds a call back; true if it finished. */
async function runUntilStopped(step: StepDisk, operation: () => Promise<void>): Promise<boolean> {
  let finished = false;
  let failure: unknown = null;
  operation().then(() => (finished = true), (error) => (failure = error ?? new Error("rejected")));
  // Bounded: the operation makes a finite number of disk calls.
  for (let i = 0; i < 10_000 && !finished && !step.hung && failure === null; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (failure !== null) throw failure;
  if (!finished && !step.hung) throw new Error("the operation neither finished nor stopped");
  return finished;
}

/** Drops every unsynced change, or with `tear` cuts the last unsynced write of a seeded file at a seeded byte. */
async function crash(disk: MemoryDisk, random: SeededRandom, tear: boolean): Promise<string> {
  const candidates = (await disk.list(DATA)).filter((name) => disk.lastUnsyncedWriteBytes(`${DATA}/${name}`) > 0);
  if (!tear || candidates.length === 0) {
    disk.crash();
    return "dropped";
  }
  const path = `${DATA}/${random.pick(candidates)}`;
  const keepBytes = random.int(disk.lastUnsyncedWriteBytes(path) + 1);
  disk.crash({ tear: { path, keepBytes } });
  return `tore ${path} after ${keepBytes} bytes`;
}

/** Recovers, checks the state is `before` or `after`, appends one more txn and recovers it. */
async function recoverAndCarryOn(disk: MemoryDisk, before: ToyState, after: ToyState, label: string): Promise<"before" | "after"> {
  const first = openStore(disk, DATA);
  const state = replay(await first.store.recover());
  const which = sameState(state, before) ? "before" : sameState(state, after) ? "after" : null;
  assert.ok(which !== null, `${label}: recovered ${show(state)}, neither before ${show(before)} nor after ${show(after)}; log: ${first.lines.join(" | ")}`);
  const next = state.last + 1n;
  await first.store.append({ zxid: next, bytes: txnBytes(next) });
  await first.store.close();
  const again = openStore(disk, DATA);
  const carried = replay(await again.store.recover());
  await again.store.close();
  assert.equal(carried.last, next, `${label}: the store did not carry on after recovery`);
  assert.equal(carried.count, state.count + 1, `${label}: the append after recovery was not kept`);
  return which;
}

function sameState(a: ToyState, b: ToyState): boolean {
  return a.count === b.count && a.sum === b.sum && a.last === b.last;
}

function show(state: ToyState): string {
  return `{count ${state.count}, last 0x${state.last.toString(16)}}`;
}

async function stepsOf(scenario: Scenario): Promise<number> {
  const { step, store } = await prepare(scenario);
  step.stopAfter(Infinity);
  await scenario.operation(store);
  return step.steps;
}

for (const [index, scenario] of SCENARIOS.entries()) {
  test(`a crash at every step of ${scenario.name} recovers to before or after, never between`, async () => {
    const total = await stepsOf(scenario);
    assert.ok(total >= 5, `${scenario.name} took only ${total} steps`);
    const before = stateOf(scenario.history);
    const outcomes = { before: 0, after: 0 };
    const tears: number[] = [];
    for (let k = 0; k <= total; k += 1) {
      for (const tear of [false, true]) {
        const random = new SeededRandom(1000 * index + 2 * k + (tear ? 1 : 0));
        const { disk, step, store } = await prepare(scenario);
        step.stopAfter(k);
        const finished = await runUntilStopped(step, () => scenario.operation(store));
        const how = await crash(disk, random, tear);
        if (how.startsWith("tore")) tears.push(k);
        const label = `${scenario.name}, crash after ${k}/${total} steps (${how})`;
        const which = await recoverAndCarryOn(disk, before, scenario.after, label);
        if (finished) assert.equal(which, "after", `${label}: the operation resolved, so its result must survive`);
        outcomes[which] += 1;
      }
    }
    assert.ok(outcomes.before > 0 && outcomes.after > 0, `both outcomes should occur: ${JSON.stringify(outcomes)}`);
    // An install writes a snapshot, so some crashes must have torn it; a truncation writes no data.
    if (scenario.writesData) assert.ok(tears.length > 0, "no crash tore a write");
  });
}

/** Stops the operation right after its intent file is durable: recovery must finish the rewrite. */
async function diskWithDecidedRewrite(scenario: Scenario): Promise<MemoryDisk> {
  const total = await stepsOf(scenario);
  // Bounded by the operation's step count.
  for (let k = 0; k <= total; k += 1) {
    const { disk, step, store } = await prepare(scenario);
    step.stopAfter(k);
    await runUntilStopped(step, () => scenario.operation(store));
    disk.crash();
    if ((await disk.list(DATA)).some((n) => /^(truncate|install)\.[0-9a-f]{16}$/.test(n))) return disk;
  }
  throw new Error(`${scenario.name}: no step left a decided rewrite on disk`);
}

for (const scenario of [SCENARIOS[0]!, SCENARIOS[3]!]) {
  test(`a crash at every step of recovery finishing ${scenario.name} still ends after it`, async () => {
    let recoverySteps = -1;
    // Bounded: stops when a recovery runs to the end within its budget.
    for (let k = 0; k < 1000; k += 1) {
      const disk = await diskWithDecidedRewrite(scenario);
      const step = new StepDisk(disk);
      step.stopAfter(k);
      const { store } = openStore(step, DATA);
      const finished = await runUntilStopped(step, async () => void await store.recover());
      disk.crash();
      const which = await recoverAndCarryOn(disk, stateOf(scenario.history), scenario.after, `${scenario.name}, recovery stopped after ${k} steps`);
      assert.equal(which, "after", `${scenario.name}: the rewrite was decided, so recovery must end after it`);
      if (finished) {
        recoverySteps = k;
        break;
      }
    }
    assert.ok(recoverySteps > 2, `recovery should take several steps, took ${recoverySteps}`);
  });
}
