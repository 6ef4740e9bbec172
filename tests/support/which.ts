import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * Finds an executable: the given absolute candidates first (e.g. Debian's /usr/bin/java,
 * because a different interpreter may come first on PATH), then PATH. Undefined if absent.
 *
 * @example const java = findExecutable("java", ["/usr/bin/java"]);
 */
export function findExecutable(name: string, preferred: string[] = []): string | undefined {
  const pathDirs = (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  const candidates = [...preferred, ...pathDirs.map((d) => join(d, name))];
  return candidates.find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
