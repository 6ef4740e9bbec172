import { spawn } from "node:child_process";

/** What to run and how long it may take. */
export interface RunOptions {
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  timeoutMs: number;
}

/** How a finished child ended and what it printed. */
export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a program to completion and collects its output. The child is SIGKILLed
 * when the timeout passes, so a hung client can never hang the test run.
 *
 * @example const r = await runProcess({ command: "java", args: ["-version"], timeoutMs: 10_000 });
 */
export function runProcess(opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.stdout.on("data", (c: Buffer) => stdout.push(c));
    child.stderr.on("data", (c: Buffer) => stderr.push(c));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        timedOut,
      });
    });
    child.stdin.on("error", () => {}); // the child may exit before reading all input
    child.stdin.end(opts.input ?? "");
  });
}

/**
 * Throws with the child's output when it did not exit 0, so a failing probe
 * explains itself in the test report.
 */
export function assertExitedCleanly(label: string, r: RunResult): void {
  if (r.code === 0 && !r.timedOut) return;
  const how = r.timedOut ? "timed out" : `exited with code ${r.code} signal ${r.signal}`;
  throw new Error(`${label} ${how}\n--- stdout ---\n${tail(r.stdout)}\n--- stderr ---\n${tail(r.stderr)}`);
}

function tail(text: string, maxChars = 6_000): string {
  return text.length <= maxChars ? text : "...\n" + text.slice(-maxChars);
}
