import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { compileJava, javaClientSkipReason, type JavaProgram, javaRunCommand, zookeeperClientJars } from "./java_tools.ts";
import { REPO_ROOT, type Command, typeScriptCommand } from "./runtime.ts";
import { noteSkip } from "./skips.ts";

/**
 * Curator's recipes and what they pull in (each jar's manifest Class-Path names the rest); the
 * ZooKeeper client under them is the oracle release's, as a Curator user would upgrade it.
 */
export const CURATOR_JARS = [
  "/usr/share/java/curator-recipes.jar",
  "/usr/share/java/curator-framework.jar",
  "/usr/share/java/curator-client.jar",
  "/usr/share/java/slf4j-nop.jar",
] as const;
const CURATOR_PROGRAM: JavaProgram = {
  source: join(REPO_ROOT, "tests", "interop", "java", "CuratorRecipes.java"),
  classpath: [...zookeeperClientJars(), ...CURATOR_JARS],
};
const WORKER = join(REPO_ROOT, "tests", "support", "lock_election_worker.ts");

/**
 * Why the Curator participant cannot run here, or false when it can.
 *
 * @example test("interop", { skip: curatorSkipReason() }, ...)
 */
export function curatorSkipReason(): string | false {
  const java = javaClientSkipReason();
  if (java !== false) return java;
  const missing = CURATOR_JARS.filter((j) => !existsSync(j));
  if (missing.length > 0) return noteSkip(`missing ${missing.join(", ")} (apt-get install libcurator-recipes-java libslf4j-java)`);
  return false;
}

/** Compiles CuratorRecipes.java into the cache unless the class there is newer than the source. */
export function compileCuratorRecipes(): Promise<void> {
  return compileJava(CURATOR_PROGRAM);
}

/** The command running the Curator participant (compile first). */
export function curatorCommand(args: string[]): Command {
  return javaRunCommand(CURATOR_PROGRAM, args);
}

/** The command running a Paddock recipe worker on the runtime under test. */
export function workerCommand(args: string[]): Command {
  return typeScriptCommand(WORKER, args);
}

/** A participant process whose stdout lines can be awaited. */
export interface Participant {
  readonly lines: readonly string[];
  readonly exited: Promise<number | null>;
  /** Resolves with the first line (already seen or to come) matching; rejects after timeoutMs. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
  /** Closes stdin (the latch participants leave the election and exit), then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
  output(): string;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) {
    try {
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

/**
 * Spawns a participant in the repo root.
 *
 * @example const p = startParticipant(workerCommand(["latch", cs, "/e", "a", "2000"]));
 */
export function startParticipant(command: Command): Participant {
  const child = spawn(command.command, command.args, { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "pipe"] });
  live.add(child);
  const lines: string[] = [];
  let stderr = "";
  let partial = "";
  const waiters = new Set<() => void>();
  child.stdout!.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) w();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-20_000);
  });
  child.stdin!.on("error", () => {});
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      live.delete(child);
      for (const w of [...waiters]) w();
      resolve(code);
    });
    child.on("error", () => {
      live.delete(child);
      resolve(null);
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  const output = () => `--- stdout ---\n${lines.join("\n")}${partial}\n--- stderr ---\n${stderr}`;
  return {
    lines,
    exited,
    output,
    waitForLine(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < lines.length; seen++) {
            if (match(lines[seen]!)) {
              finish();
              resolve(lines[seen]!);
              return;
            }
          }
          if (done) {
            finish();
            reject(new Error(`participant exited before the expected line\n${output()}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no expected line within ${timeoutMs} ms\n${output()}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    kill(signal = "SIGKILL") {
      // process.kill, not child.kill: Deno's child.kill delivers only the first signal (SIGCONT after SIGSTOP would be dropped).
      if (done || child.pid === undefined) return;
      try {
        process.kill(child.pid, signal);
      } catch {
        // Already gone.
      }
    },
    async stop(graceMs = 5_000) {
      if (done) return;
      child.stdin!.end();
      const timer = setTimeout(() => child.pid !== undefined && !done && process.kill(child.pid, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
