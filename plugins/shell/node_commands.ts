import { Acls, CreateMode, ErrorCode, KeeperError } from "../../core/client/mod.ts";
import { parseAcl } from "./acl_parser.ts";
import { CliError, parseJavaInt, wrapped } from "./cli_error.ts";
import { flag, optionValue, parseOptions, valued } from "./cli_options.ts";
import { type ShellCommand, type ShellContext, usageOf } from "./context.ts";
import { hexDump } from "./hex_dump.ts";
import { formatStat } from "./stat_format.ts";

/** Largest TTL ZooKeeper encodes in an ephemeralOwner (EphemeralType.TTL's 40 bits). */
const TTL_MAX_MS = 0xff_ffff_ffffn;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** create [-s] [-e] [-c] [-t ttl] path [data] [acl] */
export const createCommand: ShellCommand = {
  name: "create",
  optionStr: "[-s] [-e] [-c] [-t ttl] path [data] [acl]",
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, [flag("e"), flag("s"), flag("c"), valued("t")]);
    const args = parsed.args;
    if (args.length < 2) throw new CliError(usageOf(this));
    const has = (name: string) => parsed.options.has(name);
    if (has("c") && (has("e") || has("s"))) {
      throw new CliError("-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.");
    }
    const ttl = has("t") ? parseLong(optionValue(parsed, "t")!) : 0n;
    const mode = createMode(has("e"), has("s"), has("c"), has("t"));
    const ttlMs = has("t") ? checkedTtl(ttl) : undefined;
    let acl = Acls.OPEN_ACL_UNSAFE;
    if (args.length > 3) {
      const result = parseAcl(args[3]!);
      result.warnings.forEach((w) => ctx.err(w));
      acl = result.acl;
    }
    if (acl.length === 0) {
      // The Java client refuses an empty ACL before sending, with no path in the message.
      ctx.err("KeeperErrorCode = InvalidACL");
      throw new CliError("Acl is not valid : null");
    }
    const path = args[1]!;
    const data = args.length > 2 ? args[2]! : null;
    try {
      const created = await wrapped(() => ctx.client.create(path, data, { mode, acl, ttlMs }));
      ctx.err(`Created ${created.path}`);
    } catch (error) {
      if (error instanceof CliError && error.message.startsWith("Acl is not valid")) ctx.err(`KeeperErrorCode = InvalidACL for ${path}`);
      throw error;
    }
  },
};

function createMode(e: boolean, s: boolean, c: boolean, t: boolean): number {
  if (t && e) throw new CliError("TTLs cannot be used with Ephemeral znodes");
  if (t && c) throw new CliError("TTLs cannot be used with Container znodes");
  if (e) return s ? CreateMode.EPHEMERAL_SEQUENTIAL : CreateMode.EPHEMERAL;
  if (s) return t ? CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL : CreateMode.PERSISTENT_SEQUENTIAL;
  if (c) return CreateMode.CONTAINER;
  return t ? CreateMode.PERSISTENT_WITH_TTL : CreateMode.PERSISTENT;
}

/** Long.parseLong, with zkCli's message for a bad -t value. */
function parseLong(text: string): bigint {
  const ok = /^[+-]?\d+$/.test(text) && BigInt(text) <= 0x7fff_ffff_ffff_ffffn && BigInt(text) >= -0x8000_0000_0000_0000n;
  if (!ok) throw new CliError("-t argument must be a long value");
  return BigInt(text);
}

function checkedTtl(ttl: bigint): number {
  if (ttl <= 0n || ttl > TTL_MAX_MS) throw new CliError(`ttl must be positive and cannot be larger than: ${TTL_MAX_MS}`);
  return Number(ttl);
}

/** Old `cmd path watch` forms: zkCli warns, then treats the extra argument as -w. */
function deprecatedWatch(ctx: ShellContext, args: string[], form: string, replacement: string): boolean {
  if (args.length <= 2) return false;
  ctx.err(`'${form}' has been deprecated. Please use '${replacement}' instead.`);
  args.splice(2, 1);
  return true;
}

/** get [-s] [-w] [-b] [-x] path: -b prints the data in base64, -x as a hex dump (zkCli 3.9). */
export const getCommand: ShellCommand = {
  name: "get",
  optionStr: "[-s] [-w] [-b] [-x] path",
  optionHelp: [
    { name: "s", hasArg: false, description: "Print znode stats additionally" },
    { name: "w", hasArg: false, description: "Watch for changes on the znode" },
    { name: "b", hasArg: false, description: "Output data in base64 format" },
    { name: "x", hasArg: false, description: "Output data in hexdump format" },
  ],
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, [flag("s"), flag("w"), flag("b"), flag("x")]);
    if (parsed.args.length < 2) throw new CliError(usageOf(this));
    const watch = deprecatedWatch(ctx, parsed.args, "get path [watch]", "get [-s] [-w] path") || parsed.options.has("w");
    const { data, stat } = await wrapped(() => ctx.client.getData(parsed.args[1]!, { watch: watch ? ctx.watcher : undefined }));
    // zkCli formats null data as the bytes of "null"; empty data prints an empty line.
    const bytes = data ?? encoder.encode("null");
    if (parsed.options.has("x")) ctx.out(hexDump(bytes));
    else if (parsed.options.has("b")) ctx.out(Buffer.from(bytes).toString("base64"));
    else ctx.out(decoder.decode(bytes));
    if (parsed.options.has("s")) formatStat(stat).forEach((l) => ctx.out(l));
  },
};

/** set path data [-s] [-v version] [-b]: -b takes the data in base64 (zkCli 3.9). */
export const setCommand: ShellCommand = {
  name: "set",
  optionStr: "path data [-s] [-v version] [-b]",
  optionHelp: [
    { name: "s", hasArg: false, description: "Print znode stats additionally" },
    { name: "v", hasArg: true, description: "Set with an expected version" },
    { name: "b", hasArg: false, description: "Supply data in base64 format" },
  ],
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, [flag("s"), valued("v"), flag("b")]);
    if (parsed.args.length < 3) throw new CliError(usageOf(this));
    const data = parsed.options.has("b") ? decodeBase64(parsed.args[2]!) : parsed.args[2]!;
    const v = optionValue(parsed, "v");
    const version = v === undefined ? -1 : parseJavaInt(v);
    const stat = await wrapped(() => ctx.client.setData(parsed.args[1]!, data, version));
    if (parsed.options.has("s")) formatStat(stat).forEach((l) => ctx.out(l));
  },
};

/** java.util.Base64's basic decoder: the standard alphabet, padding optional, nothing else allowed. */
function decodeBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, "").length % 4 === 1) {
    throw new CliError(`Illegal base64 data: ${text}`);
  }
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** stat [-w] path */
export const statCommand: ShellCommand = {
  name: "stat",
  optionStr: "[-w] path",
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, [flag("w")]);
    if (parsed.args.length < 2) throw new CliError(usageOf(this));
    const watch = deprecatedWatch(ctx, parsed.args, "stat path [watch]", "stat [-w] path") || parsed.options.has("w");
    const path = parsed.args[1]!;
    const stat = await wrapped(() => ctx.client.exists(path, { watch: watch ? ctx.watcher : undefined }));
    if (stat === null) throw new CliError(`Node does not exist: ${path}`);
    formatStat(stat).forEach((l) => ctx.out(l));
  },
};

/** delete [-v version] path */
export const deleteCommand: ShellCommand = {
  name: "delete",
  optionStr: "[-v version] path",
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, [valued("v")]);
    if (parsed.args.length < 2) throw new CliError(usageOf(this));
    if (parsed.args.length > 2) {
      // zkCli 3.8 warns about `delete path version` and then ignores the version.
      ctx.err("'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead.");
    }
    const v = optionValue(parsed, "v");
    const version = v === undefined ? -1 : parseJavaInt(v);
    await wrapped(() => ctx.client.delete(parsed.args[1]!, version));
  },
};

/** True when the error is NoNode (a node listed, then deleted, during a walk). */
export function isNoNode(error: unknown): boolean {
  return error instanceof KeeperError && error.code === ErrorCode.NONODE;
}
