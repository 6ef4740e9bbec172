/**
 * Prometheus text exposition format 0.0.4: one family per `# HELP`/`# TYPE` pair, then its samples.
 * Values print as Prometheus's Java client prints doubles (NaN, +Inf, -Inf).
 */

/** One sample line. */
export interface Sample {
  /** The family name plus a suffix (`_count`, `_sum`, `_bucket`), or the family name itself. */
  name: string;
  labels?: Record<string, string>;
  value: number;
}

/** One metric family. */
export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "summary" | "histogram" | "untyped";
  samples: Sample[];
}

/** The content type Prometheus negotiates for this format. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Writes families in the text format.
 *
 * @example exposition([{ name: "znode_count", help: "znode_count", type: "gauge", samples: [{ name: "znode_count", value: 5 }] }])
 */
export function exposition(families: readonly MetricFamily[]): string {
  let out = "";
  for (const family of families) {
    out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.samples) out += `${sample.name}${labels(sample.labels)} ${number(sample.value)}\n`;
  }
  return out;
}

function labels(values: Record<string, string> | undefined): string {
  if (values === undefined) return "";
  const entries = Object.entries(values);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`).join(",")}}`;
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function number(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}
