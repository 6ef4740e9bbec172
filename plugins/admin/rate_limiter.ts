/**
 * ZooKeeper's admin RateLimiter with one token: a call is allowed when the previous allowed
 * call is at least `intervalMs` old.
 *
 * @example const limiter = new RateLimiter(300); if (!limiter.allow(now)) return tooManyRequests();
 */
export class RateLimiter {
  #lastMs = Number.NEGATIVE_INFINITY;

  constructor(readonly intervalMs: number) {}

  allow(nowMs: number): boolean {
    if (nowMs - this.#lastMs < this.intervalMs) return false;
    this.#lastMs = nowMs;
    return true;
  }
}
