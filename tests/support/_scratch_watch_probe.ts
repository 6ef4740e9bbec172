import { OpCode } from "../../core/proto/mod.ts";
import { RawSession } from "./raw_session.ts";
import { startPaddock, startZooKeeper } from "./servers.ts";

async function scenario(host: string, port: number, name: string, setup: [string, number][], remove: [number, number][]): Promise<string[]> {
  const s = await RawSession.connect(host, port);
  const out: string[] = [name];
  const p = `/w${Math.floor(Math.random() * 1e9)}`;
  await s.request(OpCode.create, (w) => { w.ustring(p).buffer(new Uint8Array(1)).int(1).int(31).ustring("world").ustring("anyone").int(0); });
  for (const [kind, arg] of setup) {
    if (kind === "add") { const r = await s.request(OpCode.addWatch, (w) => w.ustring(p).int(arg)); out.push(`addWatch ${arg} -> ${r.err}`); }
    if (kind === "getData") { const r = await s.request(OpCode.getData, (w) => w.ustring(p).bool(true)); out.push(`getData w -> ${r.err}`); }
    if (kind === "getChildren") { const r = await s.request(OpCode.getChildren, (w) => w.ustring(p).bool(true)); out.push(`getChildren w -> ${r.err}`); }
  }
  for (const [op, type] of remove) {
    const r = await s.request(op, (w) => w.ustring(p).int(type));
    out.push(`${op === OpCode.checkWatches ? "check" : "remove"} ${type} -> ${r.err}`);
  }
  await s.request(OpCode.setData, (w) => w.ustring(p).buffer(new Uint8Array(2)).int(-1));
  await s.request(OpCode.create, (w) => { w.ustring(`${p}/c`).buffer(new Uint8Array(1)).int(1).int(31).ustring("world").ustring("anyone").int(0); });
  await s.request(OpCode.setData, (w) => w.ustring(`${p}/c`).buffer(new Uint8Array(2)).int(-1));
  await s.request(OpCode.ping, () => {}, -2);
  out.push(`events ${s.events.map((e) => `${e.type}:${e.path.replace(p, "P")}`).join(" ")}`);
  await s.request(OpCode.closeSession, () => {});
  s.drop();
  return out;
}

const scenarios: [string, [string, number][], [number, number][]][] = [
  ["persistent, remove Data", [["add", 0]], [[OpCode.removeWatches, 2]]],
  ["persistent, remove Children", [["add", 0]], [[OpCode.removeWatches, 1]]],
  ["persistent, remove Data, remove Children", [["add", 0]], [[OpCode.removeWatches, 2], [OpCode.removeWatches, 1]]],
  ["persistent, remove Any", [["add", 0]], [[OpCode.removeWatches, 3]]],
  ["persistent, remove Persistent", [["add", 0]], [[OpCode.removeWatches, 4]]],
  ["persistent, remove PersistentRecursive", [["add", 0]], [[OpCode.removeWatches, 5]]],
  ["recursive, remove Data", [["add", 1]], [[OpCode.removeWatches, 2]]],
  ["recursive, remove Children", [["add", 1]], [[OpCode.removeWatches, 1]]],
  ["recursive, remove Persistent", [["add", 1]], [[OpCode.removeWatches, 4]]],
  ["recursive, remove PersistentRecursive", [["add", 1]], [[OpCode.removeWatches, 5]]],
  ["persistent+getData, remove Data", [["add", 0], ["getData", 0]], [[OpCode.removeWatches, 2]]],
  ["persistent+getChildren, remove Children", [["add", 0], ["getChildren", 0]], [[OpCode.removeWatches, 1]]],
  ["persistent+getData, remove Persistent", [["add", 0], ["getData", 0]], [[OpCode.removeWatches, 4]]],
  ["persistent+recursive, remove Persistent", [["add", 0], ["add", 1]], [[OpCode.removeWatches, 4]]],
  ["persistent+recursive, remove Recursive", [["add", 0], ["add", 1]], [[OpCode.removeWatches, 5]]],
  ["check: persistent", [["add", 0]], [[OpCode.checkWatches, 1], [OpCode.checkWatches, 2], [OpCode.checkWatches, 3], [OpCode.checkWatches, 4], [OpCode.checkWatches, 5]]],
  ["check: recursive", [["add", 1]], [[OpCode.checkWatches, 1], [OpCode.checkWatches, 2], [OpCode.checkWatches, 3], [OpCode.checkWatches, 4], [OpCode.checkWatches, 5]]],
  ["check: getData", [["getData", 0]], [[OpCode.checkWatches, 1], [OpCode.checkWatches, 2], [OpCode.checkWatches, 3], [OpCode.checkWatches, 4], [OpCode.checkWatches, 5]]],
  ["recursive+getChildren: events", [["add", 1], ["getChildren", 0]], []],
];

for (const kind of ["zookeeper", "paddock"]) {
  const server = kind === "zookeeper" ? await startZooKeeper() : await startPaddock();
  const lines: string[] = [];
  for (const [name, setup, remove] of scenarios) lines.push((await scenario(server.host, server.port, name, setup, remove)).join(" | "));
  console.log(`== ${kind}\n${lines.join("\n")}`);
  await server.stop();
}
