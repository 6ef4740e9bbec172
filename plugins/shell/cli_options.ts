import { CliError } from "./cli_error.ts";

/** One option letter: a flag, or an option taking the next token (or the rest of its token). */
export interface OptionSpec {
  readonly name: string;
  readonly hasArg: boolean;
  /** Text after the letter in commons-cli's messages ("num soft quota"). */
  readonly description?: string;
}

/** A group of options of which at most one may be given (commons-cli OptionGroup). */
export interface OptionGroupSpec {
  readonly options: readonly OptionSpec[];
  readonly required: boolean;
}

/** The parsed command line: option values (true for flags) and the remaining arguments. */
export interface ParsedLine {
  readonly options: ReadonlyMap<string, string | true>;
  /** Positional arguments, starting with the command name, as commons-cli's getArgs(). */
  readonly args: string[];
}

const PREFIX = "org.apache.commons.cli.";

/**
 * Parses tokens the way commons-cli's DefaultParser does for zkCli: options may appear anywhere,
 * `--` ends them, `-v5` carries its value, `-sw` sets several flags, an unknown `-x` fails.
 *
 * @example parseOptions(["ls", "-s", "/"], [{ name: "s", hasArg: false }]).options.has("s") // true
 */
export function parseOptions(tokens: readonly string[], specs: readonly OptionSpec[], group?: OptionGroupSpec): ParsedLine {
  const all = [...specs, ...(group?.options ?? [])];
  const options = new Map<string, string | true>();
  const args: string[] = [];
  let onlyArgs = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (onlyArgs || !token.startsWith("-") || token === "-") {
      args.push(token);
      continue;
    }
    if (token === "--") {
      onlyArgs = true;
      continue;
    }
    const letters = token.slice(1);
    const whole = all.find((s) => s.name === letters);
    if (whole !== undefined) {
      const value = whole.hasArg ? tokens[++i] : true;
      if (value === undefined) throw new CliError(`${PREFIX}MissingArgumentException: Missing argument for option: ${whole.name}`);
      select(options, whole, value, group);
      continue;
    }
    concatenated(letters, token, all, options, group);
  }
  if (group?.required === true && !group.options.some((o) => options.has(o.name))) {
    const names = group.options.map((o) => `-${o.name} ${o.description ?? ""}`.trimEnd()).join(", ");
    throw new CliError(`${PREFIX}MissingOptionException: Missing required option: [${names}]`);
  }
  return { options, args };
}

/** `-v5` (value attached) or `-sw` (several flags); anything else is unrecognized. */
function concatenated(letters: string, token: string, all: readonly OptionSpec[], options: Map<string, string | true>,
  group: OptionGroupSpec | undefined): void {
  for (let j = 0; j < letters.length; j++) {
    const spec = all.find((s) => s.name === letters[j]);
    if (spec === undefined) throw new CliError(`${PREFIX}UnrecognizedOptionException: Unrecognized option: ${token}`);
    if (spec.hasArg) {
      const value = letters.slice(j + 1);
      if (value === "") throw new CliError(`${PREFIX}MissingArgumentException: Missing argument for option: ${spec.name}`);
      select(options, spec, value, group);
      return;
    }
    select(options, spec, true, group);
  }
}

function select(options: Map<string, string | true>, spec: OptionSpec, value: string | true, group: OptionGroupSpec | undefined): void {
  const inGroup = group?.options.includes(spec) === true;
  const chosen = inGroup ? group!.options.find((o) => o !== spec && options.has(o.name)) : undefined;
  if (chosen !== undefined) {
    throw new CliError(`${PREFIX}AlreadySelectedException: The option '${spec.name}' was specified but an option ` +
      `from this group has already been selected: '${chosen.name}'`);
  }
  options.set(spec.name, value);
}

/** The value of an option that takes one, if given. */
export function optionValue(parsed: ParsedLine, name: string): string | undefined {
  const value = parsed.options.get(name);
  return typeof value === "string" ? value : undefined;
}

/** Shorthand for a flag spec. */
export function flag(name: string, description?: string): OptionSpec {
  return { name, hasArg: false, description };
}

/** Shorthand for an option taking a value. */
export function valued(name: string, description?: string): OptionSpec {
  return { name, hasArg: true, description };
}
