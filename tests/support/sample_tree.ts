// A tree with every kind of node (ephemerals, containers, TTLs, null and empty data, quotas, deep
// paths, two ACL lists) and sessions: what snapshot tests encode and load.
import type { ACL } from "../../core/proto/mod.ts";
import { OpCode } from "../../core/proto/mod.ts";
import { DataTree, ROOT } from "../../core/tree/data_tree.ts";
import { CONTAINER_OWNER, ttlOwner } from "../../core/tree/ephemeral_type.ts";
import { NULL_DATA } from "../../core/tree/znode.ts";
import { applyTxn } from "../../core/txn/apply_txn.ts";
import type { Txn } from "../../core/txn/txn.ts";
import type { SessionTimeout } from "../../core/zab/wire/zk_snapshot.ts";
import { SeededRandom } from "./seeded_random.ts";

export const OPEN: ACL[] = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];
export const READ: ACL[] = [{ perms: 1, id: { scheme: "world", id: "anyone" } }, { perms: 31, id: { scheme: "digest", id: "a:b=" } }];
export const SESSIONS: SessionTimeout[] = [
  { sessionId: 0x100000a1b2c0000n, timeoutMs: 30_000 },
  { sessionId: 0x100000a1b2c0001n, timeoutMs: 4_000 },
  { sessionId: 0x77n, timeoutMs: 10_000 },
];

/** A tree with every kind of node: ephemerals, containers, TTLs, null and empty data, quotas, deep paths. */
export function sampleTree(nodeCount = 400, { deletes = true } = {}): DataTree {
  const tree = new DataTree({ extendedTypesEnabled: true });
  const random = new SeededRandom(11);
  let zxid = 1n;
  const apply = (txn: Txn) => applyTxn(tree, { sessionId: 0x77n, cxid: 0, zxid: zxid++, time: 5000n + zxid, type: txn.type }, txn);
  const create = (path: string, data: Uint8Array, acl: ACL[], ephemeralOwner: bigint, type: 1 | 19 | 21 = OpCode.create) => {
    const slash = path.lastIndexOf("/");
    const parent = tree.getNode(slash === 0 ? ROOT : path.slice(0, slash))!;
    apply({ type, path, data, acl, ephemeralOwner, parentCVersion: parent.cversion + 1 });
  };
  create("/app", new TextEncoder().encode("cfg"), OPEN, 0n);
  create("/app/lock", NULL_DATA, READ, 0n);
  create("/app/ephemeral", new Uint8Array(0), OPEN, 0x77n);
  create("/c", NULL_DATA, OPEN, CONTAINER_OWNER, OpCode.createContainer);
  create("/t", NULL_DATA, OPEN, ttlOwner(60_000n), OpCode.createTTL);
  create("/zookeeper/quota/app", NULL_DATA, OPEN, 0n);
  create("/zookeeper/quota/app/zookeeper_limits", new TextEncoder().encode("count=100,bytes=-1"), OPEN, 0n);
  create("/zookeeper/quota/app/zookeeper_stats", new TextEncoder().encode("count=0,bytes=0"), OPEN, 0n);
  let deep = "/app";
  for (let d = 0; d < 50; d++) create((deep = `${deep}/d${d}`), new Uint8Array([d]), OPEN, 0n);
  const parents = ["/app", "/c", deep];
  for (let i = 0; i < nodeCount; i++) {
    const parent = random.pick(parents);
    const path = `${parent}/n-${i}-${"x".repeat(random.int(20))}`;
    create(path, new Uint8Array(random.int(300)).fill(i & 0xff), random.chance(0.5) ? OPEN : READ, 0n);
    if (random.chance(0.2)) parents.push(path);
    if (random.chance(0.1)) apply({ type: OpCode.setData, path, data: NULL_DATA, version: 1 });
  }
  for (let i = 0; deletes && i < nodeCount; i += 7) {
    const path = [...tree.nodes.keys()].find((p) => p.includes(`/n-${i}-`))!;
    if (tree.getNode(path)!.children.size === 0) apply({ type: OpCode.delete, path });
  }
  return tree;
}
