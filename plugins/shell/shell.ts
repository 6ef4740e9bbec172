import { type Client, type ClientStatus, ConnectionState, createClient, EventType, KeeperState, type WatchedEvent } from "../../core/client/mod.ts";
import { CliError, EXIT_FAILED, EXIT_NOT_FOUND } from "./cli_error.ts";
import { SERVER_COMMANDS, SHELL_COMMANDS, usageText } from "./command_table.ts";
import type { ShellContext } from "./context.ts";
import { formatEvent } from "./events.ts";
import { tokenize } from "./tokenize.ts";

/** Where the shell writes; process.stdout/stderr in the executable, buffers in tests. */
export interface ShellOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** How the shell connects (zkCli's -server and -timeout). */
export interface ShellOptions {
  server: string;
  timeoutMs: number;
  output: ShellOutput;
  /** Called by `quit` with the exit code; the REPL stops reading. */
  onQuit?: (exitCode: number) => void;
}

/** The history `history` prints: the last this many commands and the current one. */
const HISTORY_SHOWN = 10;
/** Remembered commands; older ones are forgotten (zkCli keeps all, but a shell must stay bounded). */
const HISTORY_MAX = 10_000;

/** ZooKeeper.States names for the prompt. */
function stateName(status: ClientStatus): string {
  const names: Record<ClientStatus, string> = {
    connecting: "CONNECTING", connected: "CONNECTED", disconnected: "CONNECTING",
    expired: "CLOSED", closed: "CLOSED", authFailed: "AUTH_FAILED",
  };
  return names[status];
}

const STATE_EVENTS: Partial<Record<ConnectionState, KeeperState>> = {
  connected: KeeperState.SyncConnected, reconnected: KeeperState.SyncConnected, disconnected: KeeperState.Disconnected,
  expired: KeeperState.Expired, closed: KeeperState.Closed, authFailed: KeeperState.AuthFailed,
};

/**
 * zkCli's ZooKeeperMain without the terminal: one session, a numbered history, and
 * executeLine() for each command line. The exit code is the last command's (0, 1, or 127).
 *
 * @example
 * const shell = new Shell({ server: "127.0.0.1:2181", timeoutMs: 30000, output });
 * await shell.executeLine("ls /");
 */
export class Shell {
  readonly #options: ShellOptions;
  readonly #history = new Map<number, string>();
  #client!: Client;
  #host = "";
  #commandCount = 0;
  #printWatches = true;
  #exitCode = 0;
  #quit = false;
  #stopStates = () => {};
  /** Watch-removal events printed during the current command. */
  readonly #removalsPrinted = new Set<string>();

  constructor(options: ShellOptions) {
    this.#options = options;
    this.#connect(options.server);
  }

  /** The exit code zkCli would end with now. */
  get exitCode(): number {
    return this.#exitCode;
  }

  /** True once `quit` ran. */
  get quit(): boolean {
    return this.#quit;
  }

  /** The session (replaced by `connect`). */
  get client(): Client {
    return this.#client;
  }

  /** `[zk: host:port(CONNECTED) 3] ` */
  prompt(): string {
    return `[zk: ${this.#host}(${stateName(this.#client.state)}) ${this.#commandCount}] `;
  }

  /** The remembered command lines by number (for tests and the REPL). */
  history(): ReadonlyMap<number, string> {
    return this.#history;
  }

  /** Waits for the session, as zkCli's -waitforconnection; false when it did not come up in time. */
  async waitForConnection(): Promise<boolean> {
    try {
      await this.#client.ready({ signal: AbortSignal.timeout(this.#options.timeoutMs), wait: true });
      return true;
    } catch {
      return false;
    }
  }

  /** Runs one line typed at the prompt (blank lines are ignored and not numbered). */
  async executeLine(line: string): Promise<void> {
    const tokens = tokenize(line);
    if (tokens.length === 0) return;
    this.#remember(this.#commandCount, line);
    await this.processCommand(tokens);
    this.#commandCount++;
  }

  /** Runs one command given as tokens (the command-line form); errors go to stderr. */
  async processCommand(tokens: string[]): Promise<void> {
    this.#removalsPrinted.clear();
    try {
      await this.#dispatch(tokens);
      this.#exitCode = 0;
    } catch (error) {
      if (error instanceof QuitSignal) return;
      if (!(error instanceof CliError)) throw error;
      this.#exitCode = error.exitCode;
      this.#err(error.message);
    }
  }

  /** Closes the session (quit, end of input). */
  async close(): Promise<void> {
    this.#stopStates();
    await this.#client.close();
  }

  async #dispatch(tokens: string[]): Promise<void> {
    const name = tokens[0]!;
    const server = SERVER_COMMANDS.find((c) => c.name === name);
    if (server === undefined && !(name in SHELL_COMMANDS)) {
      usageText().forEach((l) => this.#err(l));
      throw new CliError(`Command not found: Command not found ${name}`, EXIT_NOT_FOUND);
    }
    if (name === "quit") return this.#doQuit();
    await this.#shellCommand(name, tokens);
    if (!this.#alive()) {
      this.#out("Not connected");
      return;
    }
    await server?.run(this.#context(), tokens);
  }

  /** ZooKeeperMain's own commands; like zkCli, they fall through to the connection check. */
  async #shellCommand(name: string, tokens: string[]): Promise<void> {
    if (name === "redo" && tokens.length >= 2) await this.#redo(tokens[1]!);
    else if (name === "history") this.#printHistory();
    else if (name === "printwatches") {
      if (tokens.length === 1) this.#out(`printwatches is ${this.#printWatches ? "on" : "off"}`);
      else this.#printWatches = tokens[1] === "on";
    } else if (name === "connect") {
      await this.#client.close();
      this.#connect(tokens[1] ?? this.#host);
    }
  }

  async #redo(text: string): Promise<void> {
    const index = javaDecode(text);
    if (this.#commandCount <= index || index < 0) throw new CliError("Command index out of range");
    const line = this.#history.get(index)!;
    const tokens = tokenize(line);
    if (tokens[0] === "redo") throw new CliError("No redoing redos");
    this.#remember(this.#commandCount, line);
    await this.processCommand(tokens);
  }

  #printHistory(): void {
    for (let i = Math.max(0, this.#commandCount - HISTORY_SHOWN); i <= this.#commandCount; i++) {
      this.#out(`${i} - ${this.#history.get(i) ?? "null"}`);
    }
  }

  #remember(index: number, line: string): void {
    this.#history.set(index, line);
    this.#history.delete(index - HISTORY_MAX);
  }

  async #doQuit(): Promise<void> {
    this.#quit = true;
    await this.close();
    this.#options.onQuit?.(this.#exitCode);
    // zkCli exits inside the command, so quit leaves the previous command's exit code in place.
    throw new QuitSignal();
  }

  #alive(): boolean {
    const state = this.#client.state;
    return state !== "closed" && state !== "expired" && state !== "authFailed";
  }

  #connect(server: string): void {
    this.#stopStates();
    this.#host = server;
    const client = createClient(server, { sessionTimeoutMs: this.#options.timeoutMs });
    this.#client = client;
    this.#stopStates = client.on("state", (state) => {
      const keeperState = STATE_EVENTS[state];
      if (keeperState !== undefined) this.#printEvent({ type: EventType.None, state: keeperState, path: "" });
    });
  }

  #printEvent(event: Pick<WatchedEvent, "type" | "state" | "path" | "zxid">): void {
    if (!this.#printWatches || this.#duplicateRemoval(event)) return;
    this.#out("\nWATCHER::");
    this.#out(`\n${formatEvent(event)}`);
  }

  /**
   * The Java client reports a removed watcher once per event type even when it watched the path
   * several ways (persistent and recursive); our client reports each registration.
   */
  #duplicateRemoval(event: Pick<WatchedEvent, "type" | "path">): boolean {
    if (!isRemoval(event)) return false;
    const key = `${event.type} ${event.path}`;
    if (this.#removalsPrinted.has(key)) return true;
    this.#removalsPrinted.add(key);
    return false;
  }

  #context(): ShellContext {
    return {
      client: this.#client,
      watcher: this.#watcher,
      out: (line) => this.#out(line),
      err: (line) => this.#err(line),
      write: (text) => this.#options.output.stdout(text),
      removalCount: () => this.#removalCount,
    };
  }

  /**
   * One function for every watch, so the client delivers an event once however many calls set it.
   * Connection events are left to the state listener, which hears them even with no watch set.
   */
  readonly #watcher = (event: WatchedEvent) => {
    if (event.type === EventType.None || this.#seenEvents.has(event)) return;
    // Our client hands one event object to a watcher once per watch table that held it (data and
    // exist, persistent and recursive); the Java client delivers it once per distinct watcher.
    this.#seenEvents.add(event);
    if (isRemoval(event)) this.#removalCount++;
    this.#printEvent(event);
  };
  #removalCount = 0;
  readonly #seenEvents = new WeakSet<WatchedEvent>();

  #out(line: string): void {
    this.#options.output.stdout(line + "\n");
  }

  #err(line: string): void {
    this.#options.output.stderr(line + "\n");
  }
}

function isRemoval(event: Pick<WatchedEvent, "type">): boolean {
  return event.type === EventType.DataWatchRemoved || event.type === EventType.ChildWatchRemoved ||
    event.type === EventType.PersistentWatchRemoved;
}

/** Thrown by `quit` to stop the current command without touching the exit code. */
export class QuitSignal extends Error {
  override name = "QuitSignal";
}

/** Integer.decode: decimal, 0x/# hex, leading-0 octal; zkCli crashes on anything else, we report it. */
function javaDecode(text: string): number {
  const m = /^([+-]?)(0[xX]|#|0(?=\d))?([0-9a-fA-F]+)$/.exec(text);
  const radix = m?.[2] === undefined ? 10 : m[2] === "0" ? 8 : 16;
  const value = m === null ? Number.NaN : Number.parseInt(m[1]! + m[3]!, radix);
  if (Number.isNaN(value) || (radix === 10 && !/^[+-]?\d+$/.test(text))) {
    throw new CliError(`java.lang.NumberFormatException: For input string: "${text}"`, EXIT_FAILED);
  }
  return value;
}
