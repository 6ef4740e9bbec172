import { el } from "./api.ts";

/** Points kept per chart (two minutes at one sample every two seconds). */
const POINTS_MAX = 60;

interface Series {
  title: string;
  unit: string;
  /** Reads one point from a `monitor` answer (and the previous one, for rates). */
  read(now: Record<string, number>, before: Record<string, number> | null): number | null;
}

const SERIES: Series[] = [
  { title: "Request latency (avg)", unit: "ms", read: (m) => m.avg_latency ?? null },
  { title: "Outstanding requests", unit: "", read: (m) => m.outstanding_requests ?? null },
  { title: "Znode count", unit: "", read: (m) => m.znode_count ?? null },
  {
    title: "Fsync time (avg per fsync)",
    unit: "ms",
    read: (m, b) => {
      if (b === null) return m.avg_fsynctime ?? null;
      const count = (m.cnt_fsynctime ?? 0) - (b.cnt_fsynctime ?? 0);
      return count > 0 ? ((m.sum_fsynctime ?? 0) - (b.sum_fsynctime ?? 0)) / count : 0;
    },
  },
  {
    title: "Requests per second",
    unit: "/s",
    read: (m, b) => (b === null ? null : Math.max(0, ((m.packets_received ?? 0) - (b.packets_received ?? 0)) / 2)),
  },
  { title: "Live connections", unit: "", read: (m) => m.num_alive_connections ?? null },
];

/** Line charts of the key `mntr` figures, drawn as SVG from the polled values. */
export class Charts {
  readonly #points: number[][] = SERIES.map(() => []);
  readonly #cards: { value: HTMLElement; path: SVGPathElement }[] = [];
  #previous: Record<string, number> | null = null;

  constructor(container: HTMLElement) {
    for (const series of SERIES) {
      const value = el("span", { class: "value" }, "–");
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("viewBox", "0 0 300 100");
      svg.setAttribute("preserveAspectRatio", "none");
      const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
      svg.append(path);
      container.append(el("div", { class: "chart", "data-title": series.title }, value, el("strong", {}, series.title), svg));
      this.#cards.push({ value, path });
    }
  }

  add(monitor: Record<string, number>): void {
    SERIES.forEach((series, i) => {
      const point = series.read(monitor, this.#previous);
      if (point === null || !Number.isFinite(point)) return;
      const points = this.#points[i]!;
      points.push(point);
      if (points.length > POINTS_MAX) points.shift();
      this.#draw(i, points, series.unit);
    });
    this.#previous = monitor;
  }

  #draw(i: number, points: number[], unit: string): void {
    const card = this.#cards[i]!;
    const max = Math.max(1, ...points);
    const step = 300 / Math.max(1, POINTS_MAX - 1);
    const offset = POINTS_MAX - points.length;
    card.path.setAttribute("d", points.map((p, j) => `${j === 0 ? "M" : "L"}${((offset + j) * step).toFixed(1)},${(98 - (p / max) * 94).toFixed(1)}`).join(" "));
    const last = points[points.length - 1]!;
    card.value.textContent = `${Number.isInteger(last) ? last : last.toFixed(2)}${unit === "" ? "" : ` ${unit}`} (max ${Number.isInteger(max) ? max : max.toFixed(2)})`;
  }
}
