import { CliError, wrapError } from "./cli_error.ts";
import { type OptionSpec, type ParsedLine, optionValue, parseOptions } from "./cli_options.ts";
import { type ShellCommand, type ShellContext, usageOf } from "./context.ts";
import { isNoNode } from "./node_commands.ts";
import { StatKey, StatsTrack } from "./stats_track.ts";
import { visitSubTree } from "./tree_commands.ts";

/** Where quotas live, as znodes the server keeps current (Quotas.java). */
const PROC_ZOOKEEPER = "/zookeeper";
const QUOTA_ROOT = "/zookeeper/quota";
const LIMIT_NODE = "zookeeper_limits";
const STAT_NODE = "zookeeper_stats";
const decoder = new TextDecoder();

const quotaPath = (path: string) => QUOTA_ROOT + path;
const limitPath = (path: string) => `${quotaPath(path)}/${LIMIT_NODE}`;
const statPath = (path: string) => `${quotaPath(path)}/${STAT_NODE}`;
const trimQuotaPath = (path: string) => path.slice(QUOTA_ROOT.length);

/** The four quota options; setquota's take a value, delquota's are flags. */
const QUOTA_OPTIONS = [
  ["n", "num soft quota", StatKey.count],
  ["b", "bytes soft quota", StatKey.bytes],
  ["N", "num hard quota", StatKey.countHardLimit],
  ["B", "bytes hard quota", StatKey.byteHardLimit],
] as const;

/** The quota options as one required group taking values (setquota) or an optional group of flags (delquota). */
function parseQuotaLine(command: ShellCommand, tokens: string[], withValues: boolean): { parsed: ParsedLine; path: string } {
  const specs: OptionSpec[] = QUOTA_OPTIONS.map(([name, description]) => ({ name, hasArg: withValues, description }));
  const parsed = parseOptions(tokens, [], { options: specs, required: withValues });
  if (parsed.args.length < 2) throw new CliError(usageOf(command));
  return { parsed, path: parsed.args[1]! };
}

async function readTrack(ctx: ShellContext, path: string): Promise<StatsTrack> {
  return new StatsTrack(decoder.decode((await ctx.client.getData(path)).data ?? undefined));
}

/** setquota -n|-b|-N|-B val path */
export const setQuotaCommand: ShellCommand = {
  name: "setquota",
  optionStr: "-n|-b|-N|-B val path",
  async run(ctx, tokens) {
    const { parsed, path } = parseQuotaLine(this, tokens, true);
    if (path.startsWith(QUOTA_ROOT)) {
      ctx.err(`cannot set a quota under the path: ${QUOTA_ROOT}`);
      return;
    }
    const quota = new StatsTrack().set(StatKey.count, -1).set(StatKey.bytes, -1).set(StatKey.countHardLimit, -1).set(StatKey.byteHardLimit, -1);
    for (const [name, , key] of QUOTA_OPTIONS) {
      const text = optionValue(parsed, name);
      if (text === undefined) continue;
      const problem = quotaValueProblem(name, text);
      if (problem !== undefined) {
        ctx.err(problem);
        return;
      }
      quota.set(key, Number(text));
    }
    try {
      await createQuota(ctx, path, quota);
    } catch (error) {
      if (error instanceof QuotaPathError) throw new CliError(error.message);
      throw wrapError(error);
    }
  },
};

/** Counts must be > 0, byte sizes >= 0 (SetQuotaCommand.checkOptionValue). */
function quotaValueProblem(name: string, text: string): string | undefined {
  const isCount = name === "n" || name === "N";
  const limit = isCount ? 2147483647 : Number.MAX_SAFE_INTEGER;
  if (!/^[+-]?\d+$/.test(text) || Math.abs(Number(text)) > limit) return "NumberFormatException happens when parsing the option value";
  const value = Number(text);
  if (isCount && value <= 0) return "the num quota must be greater than zero";
  if (!isCount && value < 0) return "the bytes quota must be greater than or equal to zero";
  return undefined;
}

/** A quota that cannot be set (IllegalArgumentException in zkCli). */
class QuotaPathError extends Error {}

async function createQuota(ctx: ShellContext, path: string, quota: StatsTrack): Promise<void> {
  if ((await ctx.client.exists(path)) === null) throw new QuotaPathError(`${path} does not exist.`);
  await checkNoChildQuota(ctx, path);
  await checkNoParentQuota(ctx, path);
  if ((await ctx.client.exists(QUOTA_ROOT)) === null) {
    await createIgnoringExists(ctx, PROC_ZOOKEEPER);
    await createIgnoringExists(ctx, QUOTA_ROOT);
  }
  const parts = path.split("/").slice(1);
  for (let i = 1; i <= parts.length; i++) {
    const node = `${QUOTA_ROOT}/${parts.slice(0, i).join("/")}`;
    if ((await ctx.client.exists(node)) === null) await createIgnoringExists(ctx, node);
  }
  if ((await ctx.client.exists(limitPath(path))) === null) {
    await ctx.client.create(limitPath(path), quota.toString());
    await ctx.client.create(statPath(path), new StatsTrack().set(StatKey.count, 0).set(StatKey.bytes, 0).toString());
    warnIfBelowUsage(ctx, await readTrack(ctx, limitPath(path)), await readTrack(ctx, statPath(path)));
    return;
  }
  const limits = await readTrack(ctx, limitPath(path));
  for (const key of Object.values(StatKey)) if (quota.get(key) > -1) limits.set(key, quota.get(key));
  warnIfBelowUsage(ctx, limits, await readTrack(ctx, statPath(path)));
  await ctx.client.setData(limitPath(path), limits.toString(), -1);
}

async function createIgnoringExists(ctx: ShellContext, path: string): Promise<void> {
  try {
    await ctx.client.create(path, null);
  } catch (error) {
    if ((error as { code?: number }).code !== -110) throw error;
  }
}

function warnIfBelowUsage(ctx: ShellContext, limits: StatsTrack, stats: StatsTrack): void {
  const below = (soft: string, hard: string, used: string) =>
    (limits.get(soft) > -1 && limits.get(soft) < stats.get(used)) || (limits.get(hard) > -1 && limits.get(hard) < stats.get(used));
  if (below(StatKey.count, StatKey.countHardLimit, StatKey.count)) {
    ctx.out(`[Warning]: the count quota you create is less than the existing count:${stats.get(StatKey.count)}`);
  }
  if (below(StatKey.bytes, StatKey.byteHardLimit, StatKey.bytes)) {
    ctx.out(`[Warning]: the bytes quota you create is less than the existing bytes:${stats.get(StatKey.bytes)}`);
  }
}

/** The children, or undefined when the node is gone (deleted meanwhile counts as no quota). */
async function childrenIfExists(ctx: ShellContext, node: string): Promise<string[] | undefined> {
  try {
    return (await ctx.client.getChildren(node)).children;
  } catch (error) {
    if (isNoNode(error)) return undefined;
    throw error;
  }
}

/** No quota may sit below the new one (a limits node anywhere under /zookeeper/quota<path>). */
async function checkNoChildQuota(ctx: ShellContext, path: string): Promise<void> {
  try {
    await visitSubTree(ctx, quotaPath(path), undefined, async (node) => {
      if (node === quotaPath(path)) return;
      const children = await childrenIfExists(ctx, node);
      if (children?.includes(LIMIT_NODE)) throw new QuotaPathError(`${path} has a child ${trimQuotaPath(node)} which has a quota`);
    });
  } catch (error) {
    if (!isNoNode(error)) throw error;
  }
}

/** No quota may sit above the new one. */
async function checkNoParentQuota(ctx: ShellContext, path: string): Promise<void> {
  const parts = path.split("/");
  for (let i = 1; i < parts.length - 1; i++) {
    const node = `${QUOTA_ROOT}/${parts.slice(1, i + 1).join("/")}`;
    const children = await childrenIfExists(ctx, node);
    if (children === undefined || children.length === 0) return;
    if (children.includes(LIMIT_NODE)) throw new QuotaPathError(`${path} has a parent ${trimQuotaPath(node)} which has a quota`);
  }
}

/** listquota path */
export const listQuotaCommand: ShellCommand = {
  name: "listquota",
  optionStr: "path",
  async run(ctx, tokens) {
    const { args } = parseOptions(tokens, []);
    if (args.length < 2) throw new CliError(usageOf(this));
    const path = args[1]!;
    ctx.err(`absolute path is ${limitPath(path)}`);
    try {
      const limits = await readTrack(ctx, limitPath(path));
      const stats = await readTrack(ctx, statPath(path));
      ctx.out(`Output quota for ${path} ${limits}`);
      ctx.out(`Output stat for ${path} ${stats}`);
    } catch (error) {
      if (!isNoNode(error)) throw wrapError(error);
      ctx.err(`quota for ${path} does not exist.`);
    }
  },
};

/** delquota [-n|-b|-N|-B] path */
export const delQuotaCommand: ShellCommand = {
  name: "delquota",
  optionStr: "[-n|-b|-N|-B] path",
  async run(ctx, tokens) {
    const { parsed, path } = parseQuotaLine(this, tokens, false);
    const chosen = QUOTA_OPTIONS.filter(([name]) => parsed.options.has(name)).map(([, , key]) => key);
    try {
      await delQuota(ctx, path, chosen);
    } catch (error) {
      if (!isNoNode(error)) throw wrapError(error);
      ctx.err(`quota for ${path} does not exist.`);
    }
  },
};

/** Without keys: removes the quota nodes and trims empty parents; with keys: unsets those limits. */
async function delQuota(ctx: ShellContext, path: string, keys: readonly string[]): Promise<void> {
  if ((await ctx.client.exists(limitPath(path))) === null) {
    ctx.out(`Quota does not exist for ${path}`);
    return;
  }
  const limits = await readTrack(ctx, limitPath(path));
  if (keys.length > 0) {
    for (const key of keys) limits.set(key, -1);
    await ctx.client.setData(limitPath(path), limits.toString(), -1);
    return;
  }
  const { children } = await ctx.client.getChildren(quotaPath(path));
  for (const child of children) await ctx.client.delete(`${quotaPath(path)}/${child}`, -1);
  await trimEmptyQuotaParents(ctx, quotaPath(path));
}

/** Deletes the now-empty quota node and each empty parent up to /zookeeper/quota. */
async function trimEmptyQuotaParents(ctx: ShellContext, start: string): Promise<void> {
  let node = start;
  for (let depth = 0; node !== QUOTA_ROOT && node.startsWith(QUOTA_ROOT) && depth < 10_000; depth++) {
    if ((await ctx.client.getChildren(node)).children.length > 0) return;
    await ctx.client.delete(node, -1);
    node = node.slice(0, node.lastIndexOf("/"));
  }
}
