import type { Client } from "../../mod.ts";

/**
 * Every node under `/` except /zookeeper, with its data, ACL and whole Stat, in path order: what
 * two servers must agree on after a backup moved between them.
 *
 * @example assert.deepEqual(await dumpTree(restored), await dumpTree(original));
 */
export async function dumpTree(client: Client): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  const pending = ["/"];
  for (let guard = 0; pending.length > 0 && guard < 10_000; guard++) {
    const path = pending.pop()!;
    if (path === "/zookeeper") continue;
    const { data, stat } = await client.getData(path);
    const { acl } = await client.getACL(path);
    out.set(path, { data: data === null ? null : [...data], acl, stat: { ...stat } });
    const { children } = await client.getChildren(path);
    for (const child of children) pending.push(path === "/" ? `/${child}` : `${path}/${child}`);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}
