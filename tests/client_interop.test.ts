import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type ACL, createClient, type Stat } from "../mod.ts";
import { digestId } from "../core/acl/digest.ts";
import { REPO_ROOT } from "./support/runtime.ts";
import { assertExitedCleanly, runProcess } from "./support/run_process.ts";
import { javaClientSkipReason, javaCommand, zookeeperClientJars } from "./support/java_tools.ts";
import { type ServerHandle, startPaddock, startZooKeeper, zookeeperSkipReason } from "./support/servers.ts";
import { suite } from "./support/skips.ts";

const PYTHON = "/usr/bin/python3";
const SOURCE = join(REPO_ROOT, "tests", "interop", "java", "ReadBack.java");

function skipReason(): string | false {
  const missing = zookeeperSkipReason() || javaClientSkipReason();
  if (missing !== false) return missing;
  if (!existsSync(PYTHON)) return "no /usr/bin/python3 for kazoo";
  return false;
}

/** data, ACL and Stat of a node on one line, as every reader below prints it. */
function line(data: Uint8Array, acl: readonly ACL[], s: Stat): string {
  const hex = Buffer.from(data).toString("hex");
  const acls = acl.map((a) => `${a.id.scheme}:${a.id.id}:${a.perms}`).join(",");
  const stat = [s.czxid, s.mzxid, s.ctime, s.mtime, s.version, s.cversion, s.aversion, s.ephemeralOwner, s.dataLength,
    s.numChildren, s.pzxid].join(",");
  return `data=${hex} acl=[${acls}] stat=${stat}`;
}

async function readWithJava(connectString: string, path: string): Promise<string> {
  const { command, args } = await javaCommand({ source: SOURCE, classpath: zookeeperClientJars() }, [connectString, path]);
  const r = await runProcess({ command, args, timeoutMs: 60_000 });
  assertExitedCleanly("java ReadBack", r);
  return r.stdout.trim().split("\n").at(-1)!;
}

async function readWithKazoo(connectString: string, path: string): Promise<string> {
  const script = [
    "import sys",
    "from kazoo.client import KazooClient",
    "k = KazooClient(hosts=sys.argv[1]); k.start(20)",
    "d, s = k.get(sys.argv[2]); acl, _ = k.get_acls(sys.argv[2])",
    "acls = ','.join('%s:%s:%d' % (a.id.scheme, a.id.id, a.perms) for a in acl)",
    "st = [s.czxid, s.mzxid, s.ctime, s.mtime, s.version, s.cversion, s.aversion, s.ephemeralOwner, s.dataLength, s.numChildren, s.pzxid]",
    "print('data=%s acl=[%s] stat=%s' % (d.hex(), acls, ','.join(str(x) for x in st)))",
    "k.stop(); k.close()",
  ].join("\n");
  const r = await runProcess({ command: PYTHON, args: ["-c", script, connectString, path], timeoutMs: 60_000 });
  assertExitedCleanly("kazoo read", r);
  return r.stdout.trim().split("\n").at(-1)!;
}

const ALICE = digestId("alice:secret");

for (const kind of ["paddock", "zookeeper"] as const) {
  suite(`a node written by the Paddock client, read back by kazoo and the Java client (${kind})`, skipReason(), (s) => {
    let server: ServerHandle;
    s.before(async () => {
      server = kind === "paddock" ? await startPaddock() : await startZooKeeper();
    });
    s.after(async () => {
      await server?.stop();
    });

    s.test("same bytes, same ACL, same Stat", { timeout: 180_000 }, async () => {
      await using client = createClient(server.connectString);
      await client.ready();
      await client.addAuth("digest", "alice:secret");
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      const acl: ACL[] = [
        { perms: 31, id: { scheme: "digest", id: ALICE } },
        { perms: 1, id: { scheme: "world", id: "anyone" } },
      ];
      await client.create("/interop", bytes, { acl });
      await client.create("/interop/kid", "k");
      await client.setData("/interop", bytes.slice().reverse());
      const { data, stat } = await client.getData("/interop");
      const mine = line(data!, (await client.getACL("/interop")).acl, stat);
      assert.match(mine, /^data=fffefd.* acl=\[digest:alice:[^:]+:31,world:anyone:1\] stat=/);
      // kazoo and Java read without alice's credentials: READ is open, so they see the digest
      // ACL only as ZooKeeper shows it to non-ADMIN readers (user:x); compare with that.
      const redacted = mine.replace(`digest:${ALICE}:31`, "digest:alice:x:31");
      assert.equal(await readWithKazoo(server.connectString, "/interop"), redacted, "kazoo");
      assert.equal(await readWithJava(server.connectString, "/interop"), redacted, "Java client");
    });
  });
}
