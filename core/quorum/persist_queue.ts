/**
 * Runs a role's persist effects: appends start at once (the store batches them into one fsync),
 * an exclusive operation (a truncation, a snapshot install) waits for everything before it and
 * holds back everything after it, and completions are reported in the order the operations
 * were issued, which is the order the ZAB machines reason in. The first failure is reported
 * once; after it nothing more completes.
 */
export class PersistQueue {
  readonly #onError: (error: unknown) => void;
  /** Settles when every operation issued so far has. */
  #all: Promise<unknown> = Promise.resolve();
  /** Settles when the last exclusive operation has. */
  #gate: Promise<unknown> = Promise.resolve();
  /** The chain of completion callbacks, in issue order. */
  #reported: Promise<unknown> = Promise.resolve();
  #failed = false;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Issues `operation`; `then` runs once it and every earlier operation are done. */
  run(operation: () => Promise<void>, then: () => void, { exclusive = false }: { exclusive?: boolean } = {}): void {
    const started = (exclusive ? this.#all : this.#gate).then(() => this.#failed ? undefined : operation());
    if (exclusive) this.#gate = started.catch(() => {});
    this.#all = Promise.all([this.#all, started.catch(() => {})]);
    this.#reported = this.#reported.then(() => started).then(() => {
      if (!this.#failed) then();
    }, (error: unknown) => {
      if (this.#failed) return;
      this.#failed = true;
      this.#onError(error);
    });
  }

  /** Resolves once everything issued so far has completed and been reported. */
  idle(): Promise<void> {
    return this.#reported.then(() => {}, () => {});
  }
}
