import { runProcess } from "./run_process.ts";
import { startPaddock, startZooKeeper } from "./servers.ts";
const script = `
import sys, time
from kazoo.client import KazooClient
k = KazooClient(hosts=sys.argv[1]); k.start(20)
t = time.time()
try:
    k.reconfig(joining="server.9=127.0.0.1:2888:3888;2181", leaving=None, new_members=None)
    print("ok")
except Exception as e:
    print(type(e).__name__, round(time.time() - t, 1))
k.stop(); k.close()
`;
for (const enabled of [false, true]) for (const kind of ["zookeeper", "paddock"]) {
  const opts = { extra: { reconfigEnabled: enabled } };
  const s = kind === "zookeeper" ? await startZooKeeper(opts) : await startPaddock(opts);
  const r = await runProcess({ command: "/usr/bin/python3", args: ["-c", script, s.connectString], timeoutMs: 60_000 });
  console.log(kind, enabled, r.stdout.trim(), r.timedOut ? "TIMEOUT" : "", r.stderr.slice(-300));
  await s.stop();
}
