import { ErrorCode } from "../proto/error_code.ts";
import { Refusal } from "../proto/refusal.ts";
import { type ACL, type Id, isSharedWorldAcl } from "../proto/records.ts";
import { ipMatches, isValidIpExpression } from "./ip_match.ts";

/**
 * May a client holding `authIds` do `perm` on a node with `acl`? As ZooKeeper: a super id passes
 * everything, an empty ACL allows everything, otherwise one entry with the bit must match.
 */
export function aclAllows(acl: readonly ACL[] | null, perm: number, authIds: readonly Id[]): boolean {
  if (acl === null || acl.length === 0) return true;
  for (const id of authIds) if (id.scheme === "super") return true;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    if (entry.id.scheme === "world" && entry.id.id === "anyone") return true;
    for (const id of authIds) {
      if (id.scheme !== entry.id.scheme) continue;
      if (id.scheme === "ip" ? ipMatches(id.id, entry.id.id) : id.id === entry.id.id) return true;
    }
  }
  return false;
}

/** Throws NoAuth when the ACL does not allow `perm`. */
export function checkAcl(acl: readonly ACL[] | null, perm: number, authIds: readonly Id[], path?: string): void {
  if (!aclAllows(acl, perm, authIds)) throw new Refusal(ErrorCode.NOAUTH, path);
}

/** Schemes that authenticate a person (the `auth` ACL scheme expands to these ids; not ip). */
function isAuthenticatedScheme(scheme: string): boolean {
  return scheme === "digest";
}

function isValidId(id: Id): boolean {
  switch (id.scheme) {
    case "digest":
      // Java's split(":") drops trailing empty parts: "user:" is one part and invalid.
      return id.id.split(":").filter((part, i, all) => i < all.length - 1 || part !== "").length === 2;
    case "ip":
      return isValidIpExpression(id.id);
    default:
      return false;
  }
}

/**
 * Checks an ACL a client asks for (create, setACL) and expands `auth` entries into the client's
 * authenticated ids, as ZooKeeper's fixupACL. Throws InvalidACL.
 */
export function fixupAcl(path: string, authIds: readonly Id[], acl: readonly ACL[] | null): readonly ACL[] {
  // world:anyone alone needs no checking, and the shared list needs no copy.
  if (acl !== null && isSharedWorldAcl(acl)) return acl;
  const unique = dedupeAcl(acl ?? []);
  if (unique.length === 0) throw new Refusal(ErrorCode.INVALIDACL, path);
  const fixed: ACL[] = [];
  for (const entry of unique) {
    if (entry.id.scheme === "world" && entry.id.id === "anyone") {
      fixed.push(entry);
    } else if (entry.id.scheme === "auth") {
      const people = authIds.filter((id) => isAuthenticatedScheme(id.scheme));
      if (people.length === 0) throw new Refusal(ErrorCode.INVALIDACL, path);
      for (const id of people) fixed.push({ perms: entry.perms, id: { scheme: id.scheme, id: id.id } });
    } else if (isValidId(entry.id)) {
      fixed.push(entry);
    } else {
      throw new Refusal(ErrorCode.INVALIDACL, path);
    }
  }
  return fixed;
}

function dedupeAcl(acl: readonly ACL[]): ACL[] {
  const seen = new Set<string>();
  const unique: ACL[] = [];
  for (const entry of acl) {
    const key = `${entry.perms}\u0000${entry.id.scheme}\u0000${entry.id.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(entry);
  }
  return unique;
}
