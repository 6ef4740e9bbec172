const TIME_SLACK_MS = 10 * 60_000;

/**
 * Normalizes zkCli's stat output: zxids relative to the first one seen, session ids as S1..,
 * checked times as T, and (when given) the server address as SERVER. Shared by the zkCli probe
 * and the shell transcript tests.
 */
export class ZkCliValueNormalizer {
  private zxidBase: bigint | undefined;
  private readonly sessions = new Map<string, string>();

  constructor(private readonly server?: string) {}

  line(line: string): string {
    const zxid = /^(cZxid|mZxid|pZxid) = 0x([0-9a-f]+)$/.exec(line);
    if (zxid) return `${zxid[1]} = ${this.zxid(BigInt("0x" + zxid[2]))}`;
    const time = /^(ctime|mtime) = (.+)$/.exec(line);
    if (time) return `${time[1]} = ${plausibleTime(time[2]!)}`;
    // zkCli's `version` names the client's build; Paddock's shell names Paddock's.
    if (line.startsWith("ZooKeeper CLI version: ")) return "ZooKeeper CLI version: V";
    const owner = /^ephemeralOwner = 0x([0-9a-f]+)$/.exec(line);
    if (owner && owner[1] !== "0") return `ephemeralOwner = ${this.session(owner[1]!)}`;
    return this.server === undefined ? line : line.replaceAll(this.server, "SERVER");
  }

  private zxid(z: bigint): string {
    if (z === 0n) return "0";
    this.zxidBase ??= z;
    const d = z - this.zxidBase;
    return d >= 0n ? `z+${d}` : `z${d}`;
  }

  private session(id: string): string {
    if (!this.sessions.has(id)) this.sessions.set(id, `S${this.sessions.size + 1}`);
    return this.sessions.get(id)!;
  }
}

/** zkCli prints times with Java's Date.toString(); the root's zero time stays visible as "0". */
function plausibleTime(text: string): string {
  const ms = Date.parse(text.replace(/ [A-Z]{3,4} (\d{4})$/, " $1 UTC"));
  if (Number.isNaN(ms)) return `T!unparsed(${text})`;
  if (ms === 0) return "0";
  return Math.abs(Date.now() - ms) <= TIME_SLACK_MS ? "T" : "T!implausible";
}
