import { createHash } from "node:crypto";
import type { Id } from "../proto/records.ts";

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

/**
 * The ids `digest user:password` authenticates as: the digest id, and super first when it is the
 * configured superDigest (DigestAuthenticationProvider).
 *
 * @example digestAuthIds("super:secret", superDigest) // [{ scheme: "super", id: "" }, { scheme: "digest", ... }]
 */
export function digestAuthIds(userPassword: string, superDigest: string | null): Id[] {
  const id = digestId(userPassword);
  const digest = { scheme: "digest", id };
  return superDigest !== null && id === superDigest ? [{ scheme: "super", id: "" }, digest] : [digest];
}
