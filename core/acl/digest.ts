import { createHash } from "node:crypto";

/**
 * The id the digest scheme derives from `user:password`: `user:base64(sha1(user:password))`.
 * This is what `addauth digest user:password` authenticates as and what digest ACLs name.
 *
 * @example
 * digestId("bob:secret") // "bob:..." (27 base64 chars after the colon)
 */
export function digestId(userPassword: string): string {
  const colon = userPassword.indexOf(":");
  const user = colon === -1 ? userPassword : userPassword.slice(0, colon);
  const hash = createHash("sha1").update(userPassword, "utf8").digest("base64");
  return `${user}:${hash}`;
}
