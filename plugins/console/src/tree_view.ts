import type { GatewayNode } from "../../../core/client/http/mod.ts";
import { el, gateway } from "./api.ts";
import { bytesOf, type DataView, formatData } from "./data_format.ts";

/** Children listed per expanded node (a huge fan-out is paged by this). */
const CHILDREN_SHOWN_MAX = 1000;

/**
 * The tree browser: nodes expand on click (children read through the gateway), the selected
 * node's data (text/JSON/hex), Stat and ACL are shown, and edit/create/delete go through the
 * gateway with the credentials given in the header (its ACL checks decide).
 */
export class TreeView {
  readonly #items = new Map<string, HTMLLIElement>();
  readonly #expanded = new Set<string>(["/"]);
  #selected: string | null = null;
  #node: GatewayNode | null = null;
  #view: DataView = "text";

  constructor() {
    const root = document.getElementById("tree-root")!;
    root.append(this.#item("/", "/"));
    void this.#expand("/");
    for (const button of document.querySelectorAll<HTMLButtonElement>(".views button")) {
      button.addEventListener("click", () => {
        this.#view = button.dataset.view as DataView;
        for (const b of document.querySelectorAll(".views button")) b.classList.toggle("active", b === button);
        this.#renderData();
      });
    }
    this.#wireEditing();
  }

  /** A change arrived on the watch stream: refresh what shows it. */
  async changed(type: string, path: string): Promise<void> {
    const parent = path === "/" ? null : path.slice(0, path.lastIndexOf("/")) || "/";
    if (type === "NodeCreated" || type === "NodeDeleted") {
      if (parent !== null && this.#expanded.has(parent)) await this.#expand(parent);
    }
    this.#items.get(path)?.querySelector(":scope > span")?.classList.add("flash");
    if (path === this.#selected) await this.select(path);
  }

  /** Re-reads everything shown (after a reset or new credentials). */
  async refresh(): Promise<void> {
    for (const path of [...this.#expanded]) await this.#expand(path);
    if (this.#selected !== null) await this.select(this.#selected);
  }

  #item(path: string, name: string): HTMLLIElement {
    const toggle = el("span", { class: "toggle" }, "▸");
    const label = el("span", { "data-path": path }, name);
    const li = el("li", {}, toggle, label);
    toggle.addEventListener("click", () => void (this.#expanded.has(path) && path !== "/" ? this.#collapse(path) : this.#expand(path)));
    label.addEventListener("click", () => {
      void this.select(path);
      if (!this.#expanded.has(path)) void this.#expand(path);
    });
    this.#items.set(path, li);
    return li;
  }

  async #expand(path: string): Promise<void> {
    const li = this.#items.get(path);
    if (li === undefined) return;
    let children: string[];
    try {
      children = (await gateway().getChildren(path)).children;
    } catch {
      return;
    }
    this.#expanded.add(path);
    li.querySelector(":scope > .toggle")!.textContent = children.length === 0 ? " " : "▾";
    let list = li.querySelector<HTMLUListElement>(":scope > ul");
    if (list === null) li.append((list = el("ul", { class: "tree" })));
    const wanted = children.slice(0, CHILDREN_SHOWN_MAX);
    for (const item of [...list.children]) {
      const childPath = (item.querySelector(":scope > span[data-path]") as HTMLElement | null)?.dataset.path;
      if (childPath !== undefined && !wanted.includes(childPath.slice(childPath.lastIndexOf("/") + 1))) {
        item.remove();
        this.#forget(childPath);
      }
    }
    for (const name of wanted) {
      const childPath = path === "/" ? `/${name}` : `${path}/${name}`;
      if (!this.#items.has(childPath)) list.append(this.#item(childPath, name));
    }
  }

  #collapse(path: string): void {
    this.#expanded.delete(path);
    const li = this.#items.get(path);
    li?.querySelector(":scope > ul")?.remove();
    for (const known of [...this.#items.keys()]) if (known.startsWith(`${path}/`)) this.#forget(known);
    if (li !== undefined) li.querySelector(":scope > .toggle")!.textContent = "▸";
  }

  #forget(path: string): void {
    this.#items.delete(path);
    this.#expanded.delete(path);
  }

  async select(path: string): Promise<void> {
    this.#selected = path;
    for (const span of document.querySelectorAll("#tree-root span.selected")) span.classList.remove("selected");
    this.#items.get(path)?.querySelector(":scope > span[data-path]")?.classList.add("selected");
    document.getElementById("node-empty")!.hidden = true;
    document.getElementById("node-detail")!.hidden = false;
    document.getElementById("node-path")!.textContent = path;
    const error = document.getElementById("node-error")!;
    error.textContent = "";
    try {
      const client = gateway();
      this.#node = await client.getData(path);
      const { acl } = await client.getACL(path).catch(() => ({ acl: [] }));
      this.#renderData();
      renderStat(this.#node);
      renderAcl(acl);
    } catch (e) {
      this.#node = null;
      this.#renderData();
      error.textContent = (e as Error).message;
    }
  }

  #renderData(): void {
    document.getElementById("node-data")!.textContent = this.#node === null ? "" : formatData(bytesOf(this.#node.data), this.#view);
  }

  #wireEditing(): void {
    const editor = document.getElementById("editor") as HTMLFormElement;
    const creator = document.getElementById("creator") as HTMLFormElement;
    const error = document.getElementById("node-error")!;
    const guard = async (action: () => Promise<unknown>) => {
      error.textContent = "";
      try {
        await action();
      } catch (e) {
        error.textContent = (e as Error).message;
      }
    };
    document.getElementById("edit")!.addEventListener("click", () => {
      editor.hidden = false;
      (document.getElementById("editor-text") as HTMLTextAreaElement).value = this.#node?.text ?? "";
    });
    document.getElementById("editor-cancel")!.addEventListener("click", () => (editor.hidden = true));
    editor.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = (document.getElementById("editor-text") as HTMLTextAreaElement).value;
      void guard(async () => {
        await gateway().setData(this.#selected!, text, this.#node?.stat.version ?? -1);
        editor.hidden = true;
        await this.select(this.#selected!);
      });
    });
    document.getElementById("create")!.addEventListener("click", () => (creator.hidden = false));
    document.getElementById("creator-cancel")!.addEventListener("click", () => (creator.hidden = true));
    creator.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = (document.getElementById("creator-name") as HTMLInputElement).value.trim();
      const mode = (document.getElementById("creator-mode") as HTMLSelectElement).value as "PERSISTENT";
      const data = (document.getElementById("creator-data") as HTMLInputElement).value;
      const parent = this.#selected ?? "/";
      void guard(async () => {
        const created = await gateway().create(parent === "/" ? `/${name}` : `${parent}/${name}`, data, { mode });
        creator.hidden = true;
        await this.#expand(parent);
        await this.select(created.path);
      });
    });
    document.getElementById("delete")!.addEventListener("click", () => {
      const path = this.#selected;
      if (path === null || path === "/" || !confirm(`Delete ${path}?`)) return;
      void guard(async () => {
        await gateway().delete(path, this.#node?.stat.version ?? -1);
        const parent = path.slice(0, path.lastIndexOf("/")) || "/";
        await this.#expand(parent);
        await this.select(parent);
      });
    });
  }
}

function renderStat(node: GatewayNode): void {
  const t = document.getElementById("node-stat")!;
  t.replaceChildren(...Object.entries(node.stat).map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, String(v)))));
}

function renderAcl(acl: { perms: number; id: { scheme: string; id: string } }[]): void {
  const perms = (p: number) => ["r", "w", "c", "d", "a"].filter((_, i) => (p & (1 << i)) !== 0).join("");
  const t = document.getElementById("node-acl")!;
  t.replaceChildren(...acl.map((a) => el("tr", {}, el("td", {}, `${a.id.scheme}:${a.id.id}`), el("td", {}, perms(a.perms)))));
}
