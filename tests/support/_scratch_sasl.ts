import { RawSession } from "./raw_session.ts";
import { startPaddock, startZooKeeper } from "./servers.ts";
for (const kind of ["zookeeper", "paddock"]) {
  const s = kind === "zookeeper" ? await startZooKeeper() : await startPaddock();
  const r = await RawSession.connect(s.host, s.port);
  const reply = await r.request(102, (w) => w.buffer(new Uint8Array([1, 2, 3])), -8).catch((e) => ({ err: String(e), zxid: 0n, bytes: new Uint8Array() }));
  await new Promise((res) => setTimeout(res, 300));
  console.log(kind, "sasl ->", reply.err, reply.zxid, reply.bytes.length, "closed:", r.closed);
  r.drop();
  await s.stop();
}
