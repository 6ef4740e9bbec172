import type { ServerSocket, SocketHandler } from "../../core/io/socket.ts";
import type { SimNetwork } from "./sim_network.ts";

/**
 * Member `sid`'s client port on the simulated network: bytes both ways with latency, in order. The
 * server's close() is TCP's: what it wrote before still arrives, then the end of the stream (its
 * reply to closeSession, say); a broken link (a fault, a dead process) or a client that gives up
 * (abort) loses whatever is still in flight.
 */
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
  /** The link broke: bytes in flight are lost. */
  #broken = false;
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

  /** The client gives up on the connection (a connect timeout, the run's end): nothing more is read. */
  abort(): void {
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
      if (!this.#broken) this.#toClient(copy);
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
    this.#broken = true;
    this.#end(this.#network.latencyMs());
  }

  #end(delayMs: number): void {
    if (this.closed) return;
    this.closed = true;
    this.#unregister();
    this.#network.scheduler.after(delayMs, () => {
      this.handler?.closed();
      this.#closedByServer();
    });
  }

  /** The server closes: the stream ends after the bytes it already wrote. */
  close(): void {
    this.#end(this.#at(this.#lastToClientMs));
  }

  pause(): void {}
  resume(): void {}
}
