import assert from "node:assert/strict";
import { digestId } from "../core/acl/digest.ts";
import { ErrorCode, JuteWriter, OpCode, readAcls, writeAcls } from "../core/proto/mod.ts";
import { RawSession } from "./support/raw_session.ts";
import { type ServerHandle, startPaddock, startZooKeeper, zookeeperSkipReason } from "./support/servers.ts";
import { suite } from "./support/skips.ts";

const SUPER = "admin:s3cret";
const encode = (text: string) => new TextEncoder().encode(text);

async function auth(s: RawSession, userPassword: string): Promise<number> {
  const reply = await s.request(OpCode.auth, (w) => w.int(0).ustring("digest").buffer(encode(userPassword)), -4);
  return reply.err;
}

const targets = [
  { name: "paddock", skip: false as const, start: () => startPaddock(options()) },
  { name: "zookeeper", skip: zookeeperSkipReason(), start: () => startZooKeeper(options()) },
];

function options() {
  return { extra: { "zookeeper.DigestAuthenticationProvider.superDigest": digestId(SUPER) } };
}

for (const target of targets) {
  suite(`digest, ip and super ACLs on ${target.name}`, target.skip, (s) => {
    let server: ServerHandle;
    s.before(async () => {
      server = await target.start();
    });
    s.after(async () => {
      await server?.stop();
    });

    s.test("digestId is ZooKeeper's user:base64(sha1(user:password))", () => {
      // The value zkCli's DigestAuthenticationProvider prints for alice:secret.
      assert.equal(digestId("alice:secret"), "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
    });

    s.test("only alice reads alice's node; the super user reads and changes anything", async () => {
      const alice = await RawSession.connect(server.host, server.port);
      const stranger = await RawSession.connect(server.host, server.port);
      const admin = await RawSession.connect(server.host, server.port);
      assert.equal(await auth(alice, "alice:secret"), 0);
      const created = await alice.request(OpCode.create, (w: JuteWriter) => {
        w.ustring("/private").buffer(encode("x"));
        writeAcls(w, [{ perms: 31, id: { scheme: "auth", id: "" } }]);
        w.int(0);
      });
      assert.equal(created.err, 0);
      assert.equal((await stranger.request(OpCode.getData, (w) => w.ustring("/private").bool(false))).err, ErrorCode.NOAUTH);
      assert.equal((await alice.request(OpCode.getData, (w) => w.ustring("/private").bool(false))).err, 0);
      assert.equal(await auth(admin, SUPER), 0);
      assert.equal((await admin.request(OpCode.getData, (w) => w.ustring("/private").bool(false))).err, 0);
      const acl = await admin.request(OpCode.getACL, (w) => w.ustring("/private"));
      assert.deepEqual(readAcls(acl.body), [{ perms: 31, id: { scheme: "digest", id: digestId("alice:secret") } }]);
      const reset = await admin.request(OpCode.setACL, (w) => {
        w.ustring("/private");
        writeAcls(w, [{ perms: 1, id: { scheme: "ip", id: "127.0.0.0/8" } }]);
        w.int(-1);
      });
      assert.equal(reset.err, 0);
      // Now anyone on loopback may READ (ip ACL with a CIDR mask) but not WRITE.
      assert.equal((await stranger.request(OpCode.getData, (w) => w.ustring("/private").bool(false))).err, 0);
      const write = await stranger.request(OpCode.setData, (w) => w.ustring("/private").buffer(encode("y")).int(-1));
      assert.equal(write.err, ErrorCode.NOAUTH);
      assert.equal((await admin.request(OpCode.delete, (w) => w.ustring("/private").int(-1))).err, 0);
      for (const s of [alice, stranger, admin]) await s.request(OpCode.closeSession, () => {});
    });
  });
}
