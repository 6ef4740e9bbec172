import { type ACL, Perms } from "../proto/mod.ts";

/**
 * The ACLs every ZooKeeper client knows (ZooDefs.Ids).
 *
 * @example await client.create("/secret", "x", { acl: Acls.CREATOR_ALL_ACL });
 */
export const Acls = {
  /** Anyone may do anything. */
  OPEN_ACL_UNSAFE: [{ perms: Perms.ALL, id: { scheme: "world", id: "anyone" } }] as readonly ACL[],
  /** Only the identities authenticated on this session (fails with InvalidACL when there are none). */
  CREATOR_ALL_ACL: [{ perms: Perms.ALL, id: { scheme: "auth", id: "" } }] as readonly ACL[],
  /** Anyone may read. */
  READ_ACL_UNSAFE: [{ perms: Perms.READ, id: { scheme: "world", id: "anyone" } }] as readonly ACL[],
} as const;
