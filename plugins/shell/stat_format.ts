import type { Stat } from "../../core/client/mod.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const two = (n: number) => String(n).padStart(2, "0");

/** The local time zone's short name ("UTC", "CET"); Java's zzz pattern letter. */
function zoneName(date: Date): string {
  const part = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(date).find((p) => p.type === "timeZoneName");
  return part?.value ?? "UTC";
}

/**
 * A time as Java's Date.toString() writes it in the local zone: `EEE MMM dd HH:mm:ss zzz yyyy`.
 *
 * @example javaDateString(0) // "Thu Jan 01 00:00:00 UTC 1970" (TZ=UTC)
 */
export function javaDateString(epochMs: number): string {
  const d = new Date(epochMs);
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${two(d.getDate())} ${time} ${zoneName(d)} ${d.getFullYear()}`;
}

/** Long.toHexString: two's complement for negatives. */
function hex(value: bigint): string {
  return BigInt.asUintN(64, value).toString(16);
}

/**
 * The eleven lines zkCli's StatPrinter writes for a Stat.
 *
 * @example formatStat(stat)[0] // "cZxid = 0x2"
 */
export function formatStat(stat: Stat): string[] {
  return [
    `cZxid = 0x${hex(stat.czxid)}`,
    `ctime = ${javaDateString(Number(stat.ctime))}`,
    `mZxid = 0x${hex(stat.mzxid)}`,
    `mtime = ${javaDateString(Number(stat.mtime))}`,
    `pZxid = 0x${hex(stat.pzxid)}`,
    `cversion = ${stat.cversion}`,
    `dataVersion = ${stat.version}`,
    `aclVersion = ${stat.aversion}`,
    `ephemeralOwner = 0x${hex(stat.ephemeralOwner)}`,
    `dataLength = ${stat.dataLength}`,
    `numChildren = ${stat.numChildren}`,
  ];
}
