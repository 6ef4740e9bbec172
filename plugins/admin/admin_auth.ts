import { aclAllows } from "../../core/acl/acl_check.ts";
import { digestAuthIds } from "../../core/acl/digest.ts";
import type { Id } from "../../core/proto/records.ts";
import type { ServerView } from "../../core/server/server_view.ts";
import type { AuthRequirement } from "./command.ts";

/** Why an admin request was refused, with ZooKeeper's status and message. */
export interface AuthRefusal {
  status: 401 | 403;
  error: string;
}

/**
 * ZooKeeper 3.9's admin authentication: the Authorization header is `<scheme> [<auth>]`
 * (`digest user:password`, or `ip` alone); the scheme's provider turns it into ids, which then
 * need the command's permission on its znode's ACL. A digest with a wrong password still
 * authenticates (as that digest id), exactly as on the client port: the ACL decides.
 *
 * @example adminAuth(view, "digest super:secret", "127.0.0.1", { perms: Perms.ALL, path: "/" }) // null: allowed
 */
export function adminAuth(view: ServerView, header: string | null, remoteAddress: string, need: AuthRequirement): AuthRefusal | null {
  if (header === null) return { status: 401, error: "Auth info is missing for the command" };
  const ids = authIds(header, remoteAddress, view.config().superDigest);
  if (ids === null) return { status: 401, error: "Not authenticated" };
  const node = view.tree.get(need.path);
  if (node === undefined || !aclAllows(node.acl, need.perms, ids)) return { status: 403, error: "Not authorized" };
  return null;
}

/** The ids an Authorization header authenticates as, or null (AuthFailed). */
export function authIds(header: string, remoteAddress: string, superDigest: string | null): Id[] | null {
  const parts = header.split(" ");
  if (parts.length !== 1 && parts.length !== 2) return null;
  const [scheme, auth] = parts as [string, string | undefined];
  if (scheme === "digest") return auth === undefined || auth === "" ? null : digestAuthIds(auth, superDigest);
  if (scheme === "ip") return [{ scheme: "ip", id: remoteAddress }];
  return null;
}
