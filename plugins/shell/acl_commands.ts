import type { ACL } from "../../core/client/mod.ts";
import { formatAclEntry, parseAcl } from "./acl_parser.ts";
import { CliError, parseJavaInt, wrapped } from "./cli_error.ts";
import { flag, optionValue, parseOptions, valued } from "./cli_options.ts";
import { type ShellCommand, type ShellContext, usageOf } from "./context.ts";
import { formatStat } from "./stat_format.ts";
import { visitSubTree } from "./tree_commands.ts";

const encoder = new TextEncoder();

/** getAcl [-s] path */
export const getAclCommand: ShellCommand = {
  name: "getAcl",
  optionStr: "[-s] path",
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, [flag("s")]);
    if (parsed.args.length < 2) throw new CliError(usageOf(this));
    const { acl, stat } = await wrapped(() => ctx.client.getACL(parsed.args[1]!));
    for (const entry of acl) ctx.out(formatAclEntry(entry));
    if (parsed.options.has("s")) formatStat(stat).forEach((l) => ctx.out(l));
  },
};

/** setAcl [-s] [-v version] [-R] path acl */
export const setAclCommand: ShellCommand = {
  name: "setAcl",
  optionStr: "[-s] [-v version] [-R] path acl",
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, [flag("s"), valued("v"), flag("R")]);
    if (parsed.args.length < 3) throw new CliError(usageOf(this));
    const path = parsed.args[1]!;
    const { acl, warnings } = parseAcl(parsed.args[2]!);
    warnings.forEach((w) => ctx.err(w));
    const v = optionValue(parsed, "v");
    const version = v === undefined ? -1 : parseJavaInt(v);
    // The Java client refuses an empty ACL before sending, with no path in the message.
    if (acl.length === 0) throw new CliError("Acl is not valid : null");
    if (parsed.options.has("R")) {
      await wrapped(() => visitSubTree(ctx, path, undefined, (p) => setOne(ctx, p, acl, version)));
      return;
    }
    const stat = await wrapped(() => ctx.client.setACL(path, acl, version));
    if (parsed.options.has("s")) formatStat(stat).forEach((l) => ctx.out(l));
  },
};

/** One node of `setAcl -R`: zkCli prints a failure's message with no newline and goes on. */
async function setOne(ctx: ShellContext, path: string, acl: readonly ACL[], version: number): Promise<void> {
  try {
    await ctx.client.setACL(path, acl, version);
  } catch (error) {
    ctx.write((error as Error).message);
  }
}

/** addauth scheme auth */
export const addAuthCommand: ShellCommand = {
  name: "addauth",
  optionStr: "scheme auth",
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, []);
    if (parsed.args.length < 2) throw new CliError(usageOf(this));
    const auth = parsed.args.length >= 3 ? encoder.encode(parsed.args[2]!) : new Uint8Array(0);
    // Like ZooKeeper.addAuthInfo, fire and forget: a rejection shows up as an AuthFailed event.
    ctx.client.addAuth(parsed.args[1]!, auth).catch(() => undefined);
  },
};

/** whoami */
export const whoAmICommand: ShellCommand = {
  name: "whoami",
  optionStr: "",
  async run(ctx) {
    const infos = await wrapped(() => ctx.client.whoAmI());
    ctx.out("Auth scheme: User");
    for (const info of infos) ctx.out(`${info.authScheme}: ${info.user}`);
  },
};
