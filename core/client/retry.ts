import { ErrorCode, KeeperError } from "../proto/mod.ts";

/** How `retry` waits and when it gives up. */
export interface RetryOptions {
  /** Retries after the first attempt; default 3. */
  retries?: number;
  /** First backoff step; default 100 ms. */
  baseMs?: number;
  /** Largest backoff step; default 5000 ms. */
  maxMs?: number;
  signal?: AbortSignal;
  /** Injected randomness for the jitter; default Math.random. */
  random?: () => number;
  /** Which errors are worth another try; default ConnectionLoss and OperationTimeout. */
  retryable?: (error: unknown) => boolean;
}

/** ConnectionLoss and OperationTimeout: the op may not have run, and an idempotent op can run again. */
export function isTransientError(error: unknown): boolean {
  return error instanceof KeeperError &&
    (error.code === ErrorCode.CONNECTIONLOSS || error.code === ErrorCode.OPERATIONTIMEOUT);
}

/**
 * Runs an idempotent operation, retrying transient failures with exponential backoff and full
 * jitter (a random wait in [0, min(maxMs, baseMs * 2^attempt))). Never use it for non-idempotent
 * writes such as sequential creates: a lost reply does not mean a lost write.
 *
 * @example const { data } = await retry(() => client.getData("/config"), { retries: 5 });
 */
export async function retry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const retries = opts.retries ?? 3;
  const baseMs = opts.baseMs ?? 100;
  const maxMs = opts.maxMs ?? 5_000;
  const random = opts.random ?? Math.random;
  const retryable = opts.retryable ?? isTransientError;
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      if (attempt >= retries || !retryable(err)) throw err;
    }
    const stepMs = Math.min(maxMs, baseMs * 2 ** attempt);
    await abortableSleep(Math.floor(random() * stepMs), opts.signal);
  }
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
