import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { REPO_ROOT } from "./runtime.ts";

const DRIVER = join(REPO_ROOT, "tests", "interop", "kazoo_read_only.py");

/**
 * kazoo (tests/interop/kazoo_read_only.py, read_only allowed) driven line by line: one command
 * line in, one answer line out.
 *
 * @example const kazoo = new KazooDriver(); await kazoo.ask(`connect ${hosts}`); // "CONNECTED"
 */
export class KazooDriver {
  readonly #child: ChildProcess;
  readonly #lines: string[] = [];
  #waiting: ((line: string) => void) | null = null;

  constructor() {
    this.#child = spawn("/usr/bin/python3", [DRIVER], { stdio: ["pipe", "pipe", "inherit"] });
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      const waiting = this.#waiting;
      this.#waiting = null;
      if (waiting !== null) waiting(line);
      else this.#lines.push(line);
    });
  }

  ask(command: string, timeoutMs = 90_000): Promise<string> {
    this.#child.stdin!.write(`${command}\n`);
    const queued = this.#lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kazoo driver: no answer to "${command}" in ${timeoutMs} ms`)), timeoutMs);
      this.#waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    });
  }

  close(): void {
    this.#child.kill();
  }
}
