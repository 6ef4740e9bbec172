/** What happens to bytes sent from one member to another: held back, and/or delayed. */
export interface LinkState {
  /** Bytes are held (not lost) until the link is unblocked, as TCP holds them across a partition. */
  blocked: boolean;
  /** Added to every chunk's delivery time. */
  delayMs: number;
  /** Up to this much more, uniformly at random; order is kept (a TCP stream never reorders). */
  jitterMs: number;
}

const OPEN: LinkState = Object.freeze({ blocked: false, delayMs: 0, jitterMs: 0 });
const MEMBERS_MAX = 255;

/** Something that must re-check its links when they change (a proxied connection). */
export interface LinkListener {
  linksChanged(): void;
  /** Closes the connection abruptly (RST where the runtime can), for {@link LinkFaults.reset}. */
  reset(): void;
  readonly from: number;
  readonly to: number;
}

/**
 * The fault state of every directed link between members, `from -> to`, and the connections
 * that carry them. Partitions hold bytes in both directions, a one-way block only in one; delays
 * postpone delivery; resets close the live connections. Pure bookkeeping: proxies read it.
 *
 * @example faults.partition([[1], [2, 3]]); ...; faults.heal();
 */
export class LinkFaults {
  readonly #links = new Map<string, LinkState>();
  readonly #listeners = new Set<LinkListener>();

  /** The state of the link from -> to (open unless a fault says otherwise). */
  state(from: number, to: number): LinkState {
    return this.#links.get(key(from, to)) ?? OPEN;
  }

  /** True when bytes flow both ways between the two (a connection can be set up). */
  connected(a: number, b: number): boolean {
    return !this.state(a, b).blocked && !this.state(b, a).blocked;
  }

  /** Holds bytes from -> to; the other direction is untouched (an asymmetric partition). */
  blockOneWay(from: number, to: number): void {
    this.#update(from, to, { blocked: true });
    this.#notify();
  }

  /**
   * Splits the members into groups that cannot talk to each other (symmetric); members in no
   * group keep their links. Links inside a group are left as they are.
   */
  partition(groups: readonly (readonly number[])[]): void {
    for (const [i, group] of groups.entries()) {
      for (const other of groups.slice(i + 1)) {
        for (const a of group) {
          for (const b of other) {
            this.#update(a, b, { blocked: true });
            this.#update(b, a, { blocked: true });
          }
        }
      }
    }
    this.#notify();
  }

  /** Delays every chunk from -> to by delayMs plus up to jitterMs. */
  delay(from: number, to: number, delayMs: number, jitterMs = 0): void {
    if (delayMs < 0 || jitterMs < 0) throw new RangeError(`delay ${delayMs} ms, jitter ${jitterMs} ms: must not be negative`);
    this.#update(from, to, { delayMs, jitterMs });
    this.#notify();
  }

  /** Removes every block and delay; held bytes are delivered. */
  heal(): void {
    this.#links.clear();
    this.#notify();
  }

  /**
   * Closes every live connection between the pair (either direction), or every connection
   * touching `a` when `b` is omitted. Returns how many were reset.
   */
  reset(a: number, b?: number): number {
    let count = 0;
    for (const listener of [...this.#listeners]) {
      const touches = b === undefined ? listener.from === a || listener.to === a : isPair(listener, a, b);
      if (!touches) continue;
      listener.reset();
      count++;
    }
    return count;
  }

  /** Live connections, for reports and tests. */
  get connectionCount(): number {
    return this.#listeners.size;
  }

  /** Registers a connection; returns the function that unregisters it. */
  listen(listener: LinkListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #update(from: number, to: number, change: Partial<LinkState>): void {
    checkId(from);
    checkId(to);
    if (from === to) throw new RangeError(`a link needs two members, got ${from} -> ${to}`);
    const next = { ...this.state(from, to), ...change };
    this.#links.set(key(from, to), next);
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener.linksChanged();
  }
}

function key(from: number, to: number): string {
  return `${from}>${to}`;
}

function isPair(link: { from: number; to: number }, a: number, b: number): boolean {
  return (link.from === a && link.to === b) || (link.from === b && link.to === a);
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MEMBERS_MAX) throw new RangeError(`member id ${id}: must be 0..${MEMBERS_MAX}`);
}
