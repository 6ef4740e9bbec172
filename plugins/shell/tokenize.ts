/** A token: a run of non-blanks not starting with a quote, or a "..." / '...' string (zkCli's ARGS_PATTERN). */
const ARGS_PATTERN = /\s*([^"'\s]\S*|"[^"]*"|'[^']*')\s*/g;
const QUOTED = /^(['"])(.*)\1$/s;

/**
 * Splits a command line as zkCli does: blanks separate tokens, a token starting with a quote
 * runs to the matching quote and loses the quotes. An unmatched quote character is skipped.
 *
 * @example tokenize(`create /a "hello world"`) // ["create", "/a", "hello world"]
 */
export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  for (const match of line.matchAll(ARGS_PATTERN)) {
    const value = match[1]!;
    const quoted = QUOTED.exec(value);
    tokens.push(quoted === null ? value : quoted[2]!);
  }
  return tokens;
}
