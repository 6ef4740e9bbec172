import type { ServerSocket, SocketHandler } from "../../core/io/socket.ts";
import type { SimNetwork } from "./sim_network.ts";

/** Member `sid`'s client port on the simulated network: bytes both ways with latency, in order. */
export class SimClientSocket implements ServerSocket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly #network: SimNetwork;
  readonly #clientNode: string;
  readonly #sid: number;
  #toClient: (bytes: Uint8Array) => void;
  #closedByServer: () => void;
  #lastToClientMs = 0;
  #lastToServerMs = 0;
  handler: SocketHandler | null = null;
  closed = false;
  readonly #unregister: () => void;

  constructor(network: SimNetwork, clientNode: string, clientIndex: number, sid: number, toClient: (bytes: Uint8Array) => void, closed: () => void) {
    this.#network = network;
    this.#clientNode = clientNode;
    this.#sid = sid;
    this.remoteAddress = "10.0.0.1";
    this.remotePort = 10_000 + clientIndex;
    this.#toClient = toClient;
    this.#closedByServer = closed;
    this.#unregister = network.clientConnected(sid, this);
  }

  /** The member's process died: the connection is gone at once, on both ends. */
  drop(): void {
    this.#breakLink();
  }

  #at(last: number): number {
    const scheduler = this.#network.scheduler;
    return Math.max(scheduler.nowMs + this.#network.latencyMs(), last) - scheduler.nowMs;
  }

  /** Server -> client. Blocked directions drop the connection (a client gives up and reconnects). */
  write(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.#network.blocked(this.#sid, this.#clientNode)) return this.#breakLink();
    const copy = bytes.slice();
    const delay = this.#at(this.#lastToClientMs);
    this.#lastToClientMs = this.#network.scheduler.nowMs + delay;
    this.#network.scheduler.after(delay, () => {
      if (!this.closed) this.#toClient(copy);
    });
  }

  /** Client -> server. */
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.#network.blocked(this.#clientNode, this.#sid) || !this.#network.isUp(this.#sid)) return this.#breakLink();
    const delay = this.#at(this.#lastToServerMs);
    this.#lastToServerMs = this.#network.scheduler.nowMs + delay;
    this.#network.scheduler.after(delay, () => this.#network.deliverTo(this.#sid, () => {
      if (!this.closed && this.#network.isUp(this.#sid)) this.handler?.data(bytes);
      else this.#breakLink();
    }));
  }

  #breakLink(): void {
    if (this.closed) return;
    this.closed = true;
    this.#unregister();
    this.#network.scheduler.after(this.#network.latencyMs(), () => {
      this.handler?.closed();
      this.#closedByServer();
    });
  }

  close(): void {
    this.#breakLink();
  }

  pause(): void {}
  resume(): void {}
}
