/** One command of the `paddock` executable. */
export interface CommandPlugin {
  /** The word after `paddock`. */
  readonly name: string;
  /** One line for `paddock --help`. */
  readonly summary: string;
  /** The full text of `paddock <name> --help`. */
  readonly usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: readonly string[]): Promise<number>;
}
