import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { completeLine } from "./completion.ts";
import type { Shell } from "./shell.ts";

/** Where the REPL reads and writes. */
export interface ReplIo {
  input: Readable;
  output: Writable;
  /** A terminal gets the prompt, line editing, up/down history and tab completion. */
  terminal: boolean;
}

/** Lines kept for up/down recall in a terminal. */
const RECALL_MAX = 1000;

/**
 * Reads command lines until end of input or `quit` and runs each on the shell. In a terminal
 * it prints zkCli's prompt and completes command names and znode paths (asking the server for
 * children); from a pipe it reads silently, one command per line, going on after a failure,
 * like zkCli without JLine. Resolves to the exit code: the last command's.
 *
 * @example const code = await runRepl(shell, { input: process.stdin, output: process.stdout, terminal: true });
 */
export async function runRepl(shell: Shell, io: ReplIo): Promise<number> {
  const rl = createInterface({
    input: io.input,
    output: io.terminal ? io.output : undefined,
    terminal: io.terminal,
    historySize: RECALL_MAX,
    completer: io.terminal
      ? (line: string, done: (err: Error | null, result: [string[], string]) => void) => {
        completeLine(line, async (dir) => (await shell.client.getChildren(dir)).children).then((r) => done(null, r), (e) => done(e, [[], line]));
      }
      : undefined,
  });
  const prompt = () => {
    if (!io.terminal) return;
    rl.setPrompt(shell.prompt());
    rl.prompt();
  };
  try {
    prompt();
    for await (const line of rl) {
      await shell.executeLine(line);
      if (shell.quit) break;
      prompt();
    }
  } finally {
    rl.close();
  }
  if (!shell.quit) await shell.close();
  return shell.exitCode;
}
