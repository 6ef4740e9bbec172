import process from "node:process";

/** Waits shorter than this go unmentioned: most locks are free and most queues are not empty. */
const QUIET_MS = 300;

/**
 * Says on stderr what a command is waiting for, once, if `done` has not settled within a moment
 * ("paddock lock: waiting for /locks/job, held by web-3:4711 since 2026-11-22T06:12:03Z"). The
 * description is read only then, so a wait that ends at once costs nothing.
 *
 * @example announceWait(lease, "paddock lock", () => describeHolder(client, path));
 */
export function announceWait(done: Promise<unknown>, label: string, describe: () => Promise<string | null>): void {
  let settled = false;
  const timer = setTimeout(() => {
    describe().then(
      (text) => {
        if (!settled && text !== null) process.stderr.write(`${label}: ${text}\n`);
      },
      () => undefined,
    );
  }, QUIET_MS);
  const stop = () => {
    settled = true;
    clearTimeout(timer);
  };
  done.then(stop, stop);
}

/**
 * An instant as operators read it in logs: ISO 8601 in UTC, to the second.
 *
 * @example sinceText(0) // "1970-01-01T00:00:00Z"
 */
export function sinceText(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
