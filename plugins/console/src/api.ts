import { GatewayClient } from "../../../core/client/http/mod.ts";

/** Credentials typed into the header form, kept for this tab only. */
const KEY = "paddock.credentials";

export function credentials(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function setCredentials(value: string): void {
  if (value === "") sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, value);
}

/** A gateway client on this origin, with the current credentials. */
export function gateway(): GatewayClient {
  const c = credentials();
  return new GatewayClient(location.origin, c === undefined ? {} : { credentials: c });
}

/**
 * An AdminServer command's JSON. Longs above 2^53 (session ids) are read as strings so they are
 * shown exactly, never rounded through a double.
 */
export async function admin<T = Record<string, unknown>>(command: string): Promise<T> {
  const response = await fetch(`/commands/${command}`);
  const text = await response.text();
  if (!response.ok) throw new Error(`${command}: HTTP ${response.status}`);
  return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"')) as T;
}

export function hexId(id: string | number): string {
  return `0x${BigInt(id).toString(16)}`;
}

/** `tag.class` with children (strings become text). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

/** A table of rows; the first row is the header when `header` is set. */
export function table(rows: (string | number)[][], header?: string[]): HTMLTableElement {
  const t = el("table", { class: "grid" });
  if (header !== undefined) t.append(el("tr", {}, ...header.map((h) => el("th", {}, h))));
  for (const row of rows) t.append(el("tr", {}, ...row.map((c) => el("td", {}, String(c)))));
  return t;
}
