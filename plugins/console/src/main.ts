import { admin, credentials, el, gateway, hexId, setCredentials, table } from "./api.ts";
import { Charts } from "./charts.ts";
import { TreeView } from "./tree_view.ts";

/** Events kept in the live list. */
const EVENTS_SHOWN_MAX = 200;
const POLL_MS = 2_000;

const tree = new TreeView();
const charts = new Charts(document.getElementById("charts")!);
let watchStop = new AbortController();

function showTab(name: string): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of document.querySelectorAll<HTMLElement>("section.tab")) s.classList.toggle("active", s.id === name);
  void refreshTab(name);
}

async function refreshTab(name: string): Promise<void> {
  try {
    if (name === "sessions") await renderSessions();
    if (name === "watches") await renderWatches();
    if (name === "ensemble") await renderEnsemble();
  } catch (error) {
    document.getElementById(`${name}-body`)?.replaceChildren(el("p", { class: "error" }, `${(error as Error).message} (is the AdminServer on?)`));
  }
}

async function renderSessions(): Promise<void> {
  const dump = await admin<{ expiry_time_to_session_ids: Record<string, string[]>; session_id_to_ephemeral_paths: Record<string, string[]> }>("dump");
  const cons = await admin<{ connections: Record<string, string | number>[] }>("cons");
  const rows: (string | number)[][] = [];
  for (const [expiry, ids] of Object.entries(dump.expiry_time_to_session_ids)) {
    for (const id of ids) {
      const ephemerals = dump.session_id_to_ephemeral_paths[String(id)] ?? [];
      rows.push([hexId(id), new Date(Number(expiry)).toISOString(), ephemerals.join(" ") || "—"]);
    }
  }
  const connections = cons.connections.map((c) => [String(c.remote_socket_address), c.session_id === undefined ? "" : hexId(c.session_id), String(c.last_operation ?? ""), String(c.packets_received), String(c.avg_latency ?? "")]);
  document.getElementById("sessions-body")!.replaceChildren(
    el("div", { class: "card" }, el("h3", {}, `Sessions (${rows.length})`), table(rows, ["session", "expires", "ephemerals"])),
    el("div", { class: "card" }, el("h3", {}, `Connections (${connections.length})`), table(connections, ["peer", "session", "last op", "packets in", "avg latency ms"])),
  );
}

async function renderWatches(): Promise<void> {
  const byPath = await admin<{ path_to_session_ids: Record<string, string[]> }>("wchp");
  const summary = await admin<{ num_connections: number; num_paths: number; num_total_watches: number }>("wchs");
  const status = await gateway().status();
  const rows = Object.entries(byPath.path_to_session_ids).map(([path, ids]) => [path, ids.map(hexId).join(" ")]);
  document.getElementById("watches-body")!.replaceChildren(
    el("p", {}, `${summary.num_total_watches} watches on ${summary.num_paths} paths by ${summary.num_connections} sessions; ${status.gateway.watchers ?? 0} live gateway streams.`),
    table(rows, ["path", "sessions"]),
  );
}

async function renderEnsemble(): Promise<void> {
  const voting = await admin<{ current_config: Record<string, { server_addresses: string[]; client_address: string; learner_type: string }> }>("voting_view");
  const lead = await admin<{ is_leader?: boolean; leader_id?: number; error?: string }>("lead");
  const zab = await admin<{ zabstate: string; myid?: number }>("zabstate");
  const srvr = await admin<{ server_stats: { server_state: string; last_processed_zxid: number } }>("srvr");
  const members = Object.entries(voting.current_config);
  const rows = members.map(([id, m]) => [id, m.learner_type, m.client_address, m.server_addresses.join(" "), lead.leader_id === Number(id) ? "leader" : zab.myid === Number(id) ? srvr.server_stats.server_state : "member"]);
  const body = members.length === 0
    ? el("p", {}, `This server runs standalone (${srvr.server_stats.server_state}): an ensemble of one, last zxid ${hexId(srvr.server_stats.last_processed_zxid)}.`)
    : table(rows, ["id", "type", "client address", "quorum address", "role"]);
  document.getElementById("ensemble-body")!.replaceChildren(el("div", { class: "card" }, el("h3", {}, "Members and roles"), body));
}

function logEvent(text: string): void {
  const list = document.getElementById("events")!;
  list.prepend(el("li", {}, `${new Date().toISOString().slice(11, 23)} ${text}`));
  while (list.children.length > EVENTS_SHOWN_MAX) list.lastElementChild!.remove();
}

/** The live stream: one recursive watch on "/" through the gateway, as this user may read it. */
async function watchTree(): Promise<void> {
  watchStop.abort();
  watchStop = new AbortController();
  const watch = gateway().watch("/", { recursive: true, signal: watchStop.signal });
  void watch.ready.then(() => logEvent("watching / (recursive)"), () => {});
  try {
    for await (const event of watch) {
      logEvent(`${event.type} ${event.path} ${event.zxid}`);
      if (event.type === "reset") await tree.refresh();
      else await tree.changed(event.type, event.path);
    }
  } catch (error) {
    logEvent(`watch failed: ${(error as Error).message}`);
  }
}

async function poll(): Promise<void> {
  try {
    const status = await gateway().status();
    document.getElementById("status")!.textContent = `${status.serverState} · zxid ${status.zxid} · ${status.version.split(",")[0]}`;
    const monitor = await admin<Record<string, number>>("mntr");
    charts.add(monitor);
  } catch (error) {
    document.getElementById("status")!.textContent = `unreachable: ${(error as Error).message}`;
  }
}

function start(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab!));
  const input = document.getElementById("credentials") as HTMLInputElement;
  const who = document.getElementById("who")!;
  who.textContent = credentials()?.split(":")[0] ?? "anonymous";
  document.getElementById("login")!.addEventListener("submit", (event) => {
    event.preventDefault();
    setCredentials(input.value.trim());
    input.value = "";
    who.textContent = credentials()?.split(":")[0] ?? "anonymous";
    void tree.refresh();
    void watchTree();
  });
  void watchTree();
  void poll();
  setInterval(() => {
    void poll();
    const active = document.querySelector<HTMLElement>("section.tab.active")?.id;
    if (active !== undefined && active !== "tree" && active !== "metrics") void refreshTab(active);
  }, POLL_MS);
}

start();
