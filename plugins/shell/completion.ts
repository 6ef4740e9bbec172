import { commandNames } from "./command_table.ts";

/** Lists a znode's children; rejects when it cannot (the completion then offers nothing). */
export type ChildLister = (path: string) => Promise<string[]>;

/** Most candidates offered at once: a bound on what a huge directory can print. */
const CANDIDATES_MAX = 1000;

/**
 * Tab completion as zkCli's JLineZNodeCompleter: the word under the cursor is completed as a
 * znode path when it starts with "/" (children of its directory that start with the typed
 * rest), as a command name when it is the first word. Returns node:readline's
 * `[candidates, word being replaced]`.
 *
 * @example await completeLine("get /zoo", list) // [["/zookeeper"], "/zoo"]
 */
export async function completeLine(line: string, listChildren: ChildLister): Promise<[string[], string]> {
  const word = line.endsWith(" ") || line === "" ? "" : line.slice(line.lastIndexOf(" ") + 1);
  if (word.startsWith("/")) return [await completeZNode(word, listChildren), word];
  const isFirstWord = line.trimStart() === word;
  if (!isFirstWord) return [[], word];
  return [commandNames().filter((name) => name.startsWith(word)), word];
}

async function completeZNode(word: string, listChildren: ChildLister): Promise<string[]> {
  const slash = word.lastIndexOf("/");
  const dir = slash === 0 ? "/" : word.slice(0, slash);
  const prefix = word.slice(slash + 1);
  let children: string[];
  try {
    children = await listChildren(dir);
  } catch {
    return [];
  }
  const base = dir === "/" ? "/" : dir + "/";
  return children.filter((c) => c.startsWith(prefix)).sort().slice(0, CANDIDATES_MAX).map((c) => base + c);
}
