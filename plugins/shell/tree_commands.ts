import { CliError, parseJavaInt, wrapError, wrapped } from "./cli_error.ts";
import { flag, parseOptions, valued } from "./cli_options.ts";
import { type ShellCommand, type ShellContext, usageOf } from "./context.ts";
import { isNoNode } from "./node_commands.ts";
import { formatStat } from "./stat_format.ts";
import type { Op, Watcher } from "../../core/client/mod.ts";

/** A walk visits at most this many znodes: a bound on every loop, far above any shell use. */
const WALK_NODES_MAX = 10_000_000;

const childPath = (parent: string, child: string) => (parent === "/" ? "/" : parent + "/") + child;

/**
 * ZKUtil.visitSubTreeDFS: the root (after a getData that fails when it is missing), then each
 * node's sorted children listed before any of them is descended into. Nodes deleted meanwhile are
 * skipped. Iterative (a stack of nodes still to expand) in place of ZooKeeper's recursion.
 *
 * @example await visitSubTree(ctx, "/app", undefined, (p) => ctx.out(p));
 */
export async function visitSubTree(ctx: ShellContext, root: string, watch: Watcher | undefined,
  visit: (path: string) => Promise<void> | void): Promise<void> {
  await ctx.client.getData(root, { watch });
  await visit(root);
  const toExpand = [root];
  for (let visited = 0; toExpand.length > 0 && visited < WALK_NODES_MAX; visited++) {
    const path = toExpand.pop()!;
    let children: string[];
    try {
      children = (await ctx.client.getChildren(path, { watch })).children.sort();
    } catch (error) {
      if (isNoNode(error)) continue;
      throw error;
    }
    for (const child of children) await visit(childPath(path, child));
    for (let i = children.length - 1; i >= 0; i--) toExpand.push(childPath(path, children[i]!));
  }
}

/** ZKUtil.listSubTreeBFS: the root, then every descendant level by level (server order). */
export async function listSubTreeBfs(ctx: ShellContext, root: string): Promise<string[]> {
  const tree = [root];
  for (let next = 0; next < tree.length && next < WALK_NODES_MAX; next++) {
    const { children } = await ctx.client.getChildren(tree[next]!);
    for (const child of children) tree.push(childPath(tree[next]!, child));
  }
  return tree;
}

/** ls [-s] [-w] [-R] path */
export const lsCommand: ShellCommand = {
  name: "ls",
  optionStr: "[-s] [-w] [-R] path",
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, [flag("s"), flag("w"), flag("R")]);
    const args = parsed.args;
    const deprecated = args.length > 2;
    if (deprecated) {
      ctx.err("'ls path [watch]' has been deprecated. Please use 'ls [-w] path' instead.");
      args.splice(2, 1);
    }
    if (args.length < 2) throw new CliError(usageOf(this));
    const watch = deprecated || parsed.options.has("w") ? ctx.watcher : undefined;
    const path = args[1]!;
    if (parsed.options.has("R")) {
      await wrapped(() => visitSubTree(ctx, path, watch, (p) => ctx.out(p)));
      return;
    }
    const { children, stat } = await wrapped(() => ctx.client.getChildren(path, { watch }));
    ctx.out(`[${children.sort().join(", ")}]`);
    if (parsed.options.has("s")) formatStat(stat).forEach((l) => ctx.out(l));
  },
};

/** deleteall path [-b batch size] */
export const deleteAllCommand: ShellCommand = {
  name: "deleteall",
  optionStr: "path [-b batch size]",
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, [valued("b")]);
    if (parsed.args.length < 2) throw new CliError(usageOf(this));
    const b = parsed.options.get("b");
    let batchSize = 1000;
    if (typeof b === "string") {
      try {
        batchSize = parseJavaInt(b);
      } catch {
        throw new CliError("-b argument must be an int value");
      }
    }
    const path = parsed.args[1]!;
    try {
      const tree = await listSubTreeBfs(ctx, path);
      if (!(await deleteInBatches(ctx, tree, batchSize))) ctx.err("Failed to delete some node(s) in the subtree!");
    } catch (error) {
      throw wrapError(error);
    }
  },
};

/** Leaves first, `batchSize` deletes per multi (one at a time when <= 0); false once a batch fails. */
async function deleteInBatches(ctx: ShellContext, tree: string[], batchSize: number): Promise<boolean> {
  const size = batchSize > 0 ? batchSize : 1;
  const ops: Op[] = [];
  for (let i = tree.length - 1; i >= 0; i--) {
    ops.push({ op: "delete", path: tree[i]!, version: -1 });
    if (ops.length < size && i > 0) continue;
    try {
      if (batchSize > 0) await ctx.client.multi(ops);
      else await ctx.client.delete(ops[0]!.path, -1);
    } catch (error) {
      if (batchSize <= 0) throw error;
      return false;
    }
    ops.length = 0;
  }
  return true;
}
