import { connect, createServer, type Server, type Socket } from "node:net";
import { DelayedPipe } from "./delayed_pipe.ts";
import { electionHandshakeRewriter } from "./election_handshake.ts";
import type { LinkFaults, LinkListener } from "./link_faults.ts";

/** Which of a member's two peer ports a proxy stands in front of. */
export const PeerChannel = { quorum: "quorum", election: "election" } as const;
/** One of {@link PeerChannel}. */
export type PeerChannel = (typeof PeerChannel)[keyof typeof PeerChannel];

/** What one proxy forwards: connections member `from` opens to member `to`'s port. */
export interface LinkProxyOptions {
  from: number;
  to: number;
  channel: PeerChannel;
  targetPort: number;
  faults: LinkFaults;
  /** Jitter source (seeded by the caller for replayable schedules). */
  random: () => number;
  /**
   * Election channel only: the `host:port` to advertise in place of the dialer's own address in
   * its InitialMessage, i.e. the proxy for the reverse link (see election_handshake.ts).
   */
  advertise?: () => string;
}

const HOST = "127.0.0.1";

/**
 * A TCP proxy on 127.0.0.1 for one directed member pair and channel. Member `from`'s zoo.cfg
 * names the proxy's port as `to`'s address, so every connection `from` opens to `to` passes
 * here, whichever side later sends (on the election channel the dialer's advertised address is
 * rewritten too, so that `to` dialing back also passes a proxy). Bytes from the dialer travel the link from -> to, bytes back
 * travel to -> from; each direction obeys {@link LinkFaults}. A connection opened while either
 * direction is blocked is accepted but reaches `to` only once both directions are open again, as
 * a SYN retransmitted until the partition heals (the dialer's own timeouts decide if it waits).
 *
 * @example const proxy = await LinkProxy.start({ from: 1, to: 2, channel: "election", targetPort, faults, random });
 */
export class LinkProxy {
  readonly options: LinkProxyOptions;
  readonly #server: Server;
  readonly #connections = new Set<ProxiedConnection>();
  /** Connections accepted since start. */
  accepted = 0;

  private constructor(options: LinkProxyOptions, server: Server) {
    this.options = options;
    this.#server = server;
    server.on("connection", (socket) => {
      this.accepted++;
      const connection = new ProxiedConnection(options, socket, () => this.#connections.delete(connection));
      this.#connections.add(connection);
    });
  }

  /** Listens on a port the OS picks (no race with other processes choosing ports). */
  static async start(options: LinkProxyOptions): Promise<LinkProxy> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: HOST, port: 0 }, () => resolve());
    });
    return new LinkProxy(options, server);
  }

  /** The port to write into the dialer's zoo.cfg. */
  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === "string") throw new Error("proxy is not listening");
    return address.port;
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const connection of [...this.#connections]) connection.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** One accepted connection and its upstream twin. */
class ProxiedConnection implements LinkListener {
  readonly from: number;
  readonly to: number;
  readonly #options: LinkProxyOptions;
  readonly #dialer: Socket;
  readonly #onGone: () => void;
  readonly #unlisten: () => void;
  #upstream: Socket | undefined;
  #pipes: DelayedPipe[] = [];
  #gone = false;

  constructor(options: LinkProxyOptions, dialer: Socket, onGone: () => void) {
    this.from = options.from;
    this.to = options.to;
    this.#options = options;
    this.#dialer = dialer;
    this.#onGone = onGone;
    this.#unlisten = options.faults.listen(this);
    dialer.on("error", () => this.destroy());
    dialer.on("close", () => this.destroy());
    this.linksChanged();
  }

  linksChanged(): void {
    if (this.#gone) return;
    if (this.#upstream === undefined) {
      if (this.#options.faults.connected(this.from, this.to)) this.#dial();
      return;
    }
    for (const pipe of this.#pipes) pipe.flush();
  }

  reset(): void {
    resetSocket(this.#dialer);
    if (this.#upstream !== undefined) resetSocket(this.#upstream);
    this.destroy();
  }

  destroy(): void {
    if (this.#gone) return;
    this.#gone = true;
    for (const pipe of this.#pipes) pipe.close();
    this.#dialer.destroy();
    this.#upstream?.destroy();
    this.#unlisten();
    this.#onGone();
  }

  #dial(): void {
    const upstream = connect({ host: HOST, port: this.#options.targetPort, allowHalfOpen: true });
    this.#upstream = upstream;
    upstream.on("error", () => this.destroy());
    upstream.on("close", () => this.destroy());
    upstream.once("connect", () => {
      if (this.#gone) return;
      const { faults, random, advertise } = this.#options;
      const transform = advertise === undefined ? undefined : electionHandshakeRewriter(advertise());
      this.#pipes = [
        new DelayedPipe({ source: this.#dialer, dest: upstream, link: () => faults.state(this.from, this.to), random, transform }),
        new DelayedPipe({ source: upstream, dest: this.#dialer, link: () => faults.state(this.to, this.from), random }),
      ];
      for (const pipe of this.#pipes) pipe.flush();
    });
  }
}

/** RST rather than FIN where the runtime offers it (Node 16.17+); a plain destroy elsewhere. */
function resetSocket(socket: Socket): void {
  const withReset = socket as Socket & { resetAndDestroy?: () => Socket };
  if (typeof withReset.resetAndDestroy === "function" && !socket.destroyed) withReset.resetAndDestroy();
  else socket.destroy();
}
