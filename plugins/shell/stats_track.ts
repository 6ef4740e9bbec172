/** Keys of ZooKeeper's StatsTrack text. */
export const StatKey = {
  count: "count",
  bytes: "bytes",
  countHardLimit: "countHardLimit",
  byteHardLimit: "byteHardLimit",
} as const;

const UNSET = -1;

/**
 * A quota's limits or usage as zkCli's StatsTrack reads and writes them, e.g.
 * `count=3,bytes=-1=;byteHardLimit=-1;countHardLimit=5` (count and bytes first for old readers,
 * the other keys sorted after an extra "=").
 *
 * @example new StatsTrack("count=2,bytes=5").get("bytes") // 5
 */
export class StatsTrack {
  readonly #stats = new Map<string, number>();

  constructor(text = "") {
    if (text === "") return;
    for (const pair of text.split(/[,;]+/)) {
      const [key, value] = pair.split("=");
      if (key === undefined || key === "") continue;
      const parsed = value === undefined || value === "" ? UNSET : Number.parseInt(value, 10);
      this.#stats.set(key, Number.isNaN(parsed) ? UNSET : parsed);
    }
  }

  /** The value, -1 when absent. */
  get(key: string): number {
    return this.#stats.get(key) ?? UNSET;
  }

  set(key: string, value: number): this {
    this.#stats.set(key, value);
    return this;
  }

  toString(): string {
    let text = `${StatKey.count}=${this.get(StatKey.count)},${StatKey.bytes}=${this.get(StatKey.bytes)}`;
    const others = [...this.#stats.keys()].filter((k) => k !== StatKey.count && k !== StatKey.bytes).sort();
    if (others.length === 0) return text;
    text += "=";
    for (const key of others) text += `;${key}=${this.#stats.get(key)}`;
    return text;
  }
}
