/** How long cleanup (release, unregister, close) may take before paddock exits anyway. */
export const CLEANUP_MAX_MS = 3_000;

/**
 * Waits for `promise` at most `ms`; errors and lateness are swallowed. Cleanup on a lost
 * connection can wait for a reconnect that never comes, and the server removes an expired
 * session's ephemeral nodes itself, so an exiting command must not wait for it forever.
 *
 * @example await settleWithin(lease.release(), CLEANUP_MAX_MS);
 */
export async function settleWithin(promise: PromiseLike<unknown>, ms: number = CLEANUP_MAX_MS): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([Promise.resolve(promise).then(() => undefined, () => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Makes `await using` of a client or recipe give up after `ms`, for the reason given in
 * {@link settleWithin}. Returns the same object.
 *
 * @example await using client = bounded(await openClient(conn));
 */
export function bounded<T extends AsyncDisposable>(resource: T, ms: number = CLEANUP_MAX_MS): T {
  const dispose = resource[Symbol.asyncDispose].bind(resource);
  Object.defineProperty(resource, Symbol.asyncDispose, { value: () => settleWithin(dispose(), ms), configurable: true });
  return resource;
}
