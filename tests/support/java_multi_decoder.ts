import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { javaCommand, zookeeperClientJars } from "./java_tools.ts";
import { REPO_ROOT } from "./runtime.ts";

const SOURCE = join(REPO_ROOT, "tests", "interop", "java", "MultiDecode.java");
const DECODE_TIMEOUT_MS = 30_000;

/**
 * A long-lived JVM that decodes multi/multiRead reply bodies with the Java client's own
 * MultiResponse (tests/interop/java/MultiDecode.java): the differential test puts its answer in
 * the transcript, so a reply the Java client cannot read (or reads differently) is a difference.
 *
 * @example
 * await using decoder = await JavaMultiDecoder.start();
 * const line = await decoder.decode(replyBody); // "java[CreateResult/15:/a+stat DeleteResult/2]"
 */
export class JavaMultiDecoder implements AsyncDisposable {
  readonly #child: ChildProcess;
  readonly #pending: ((line: string) => void)[] = [];
  #buffered = "";
  #exited = false;
  #stderr = "";

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => this.#onData(chunk));
    child.stderr!.on("data", (chunk: Buffer) => (this.#stderr = (this.#stderr + chunk.toString()).slice(-4_000)));
    child.on("exit", () => {
      this.#exited = true;
      for (const resolve of this.#pending.splice(0)) resolve(`java decoder exited: ${this.#stderr}`);
    });
  }

  /** Compiles MultiDecode.java if needed and starts it. */
  static async start(): Promise<JavaMultiDecoder> {
    const { command, args } = await javaCommand({ source: SOURCE, classpath: zookeeperClientJars() }, []);
    return new JavaMultiDecoder(spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] }));
  }

  #onData(chunk: string): void {
    this.#buffered += chunk;
    for (let nl = this.#buffered.indexOf("\n"); nl !== -1; nl = this.#buffered.indexOf("\n")) {
      const line = this.#buffered.slice(0, nl);
      this.#buffered = this.#buffered.slice(nl + 1);
      this.#pending.shift()?.(line);
    }
  }

  /** The Java client's reading of one reply body (the bytes after the reply header). */
  decode(body: Uint8Array): Promise<string> {
    if (this.#exited) return Promise.resolve(`java decoder exited: ${this.#stderr}`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`java decoder gave no answer within ${DECODE_TIMEOUT_MS} ms`)), DECODE_TIMEOUT_MS);
      this.#pending.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
      this.#child.stdin!.write(`${Buffer.from(body).toString("hex")}\n`);
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
