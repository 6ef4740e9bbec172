import { type ACL, Perms } from "../../core/client/mod.ts";

const PERM_LETTERS: readonly (readonly [string, number])[] = [
  ["c", Perms.CREATE], ["d", Perms.DELETE], ["r", Perms.READ], ["w", Perms.WRITE], ["a", Perms.ADMIN],
];

/** An ACL list parsed from text, and the complaints zkCli prints to stderr while parsing it. */
export interface ParsedAcl {
  acl: ACL[];
  warnings: string[];
}

/**
 * Parses zkCli's ACL text: comma-separated `scheme:id:perms`, the id running from the first to
 * the last colon (so `digest:user:hash:cdrwa` and `ip:1.2.3.4:r` work, `auth::cdrwa` has an
 * empty id). Malformed entries are skipped and unknown letters ignored, each with a warning.
 *
 * @example parseAcl("world:anyone:cdrwa").acl // [{ perms: 31, id: { scheme: "world", id: "anyone" } }]
 */
export function parseAcl(text: string): ParsedAcl {
  const acl: ACL[] = [];
  const warnings: string[] = [];
  for (const entry of javaSplit(text, ",")) {
    const first = entry.indexOf(":");
    const last = entry.lastIndexOf(":");
    if (first === -1 || first === last) {
      warnings.push(`${entry} does not have the form scheme:id:perm`);
      continue;
    }
    const perms = parsePerms(entry.slice(last + 1), warnings);
    acl.push({ perms, id: { scheme: entry.slice(0, first), id: entry.slice(first + 1, last) } });
  }
  return { acl, warnings };
}

function parsePerms(text: string, warnings: string[]): number {
  let perms = 0;
  for (const letter of text) {
    const known = PERM_LETTERS.find(([l]) => l === letter);
    if (known === undefined) warnings.push(`Unknown perm type: ${letter}`);
    else perms |= known[1];
  }
  return perms;
}

/** String.split as Java does it: trailing empty strings are dropped ("" still gives [""]). */
function javaSplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  if (text === "") return parts;
  let end = parts.length;
  while (end > 0 && parts[end - 1] === "") end--;
  return parts.slice(0, end);
}

/**
 * Permission letters in ZKUtil.getPermString order (c, d, r, w, a).
 *
 * @example permString(Perms.ALL) // "cdrwa"
 */
export function permString(perms: number): string {
  return PERM_LETTERS.filter(([, bit]) => (perms & bit) !== 0).map(([l]) => l).join("");
}

/** A jute string in CSV form, as a record's toString() writes it. */
function csvString(text: string): string {
  const escapes: Record<string, string> = { "\0": "%00", "\n": "%0A", "\r": "%0D", ",": "%2C", "}": "%7D", "%": "%25" };
  return "'" + [...text].map((c) => escapes[c] ?? c).join("");
}

/**
 * The two lines getAcl prints for one entry: the Id record's toString(), then `: perms`.
 *
 * @example formatAclEntry(Acls.OPEN_ACL_UNSAFE[0]) // "'world,'anyone\n: cdrwa"
 */
export function formatAclEntry(entry: ACL): string {
  return `${csvString(entry.id.scheme)},${csvString(entry.id.id)}\n: ${permString(entry.perms)}`;
}
