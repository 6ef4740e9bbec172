/** One option as commons-cli's HelpFormatter lists it under a usage line. */
export interface OptionHelp {
  readonly name: string;
  readonly hasArg: boolean;
  readonly description: string;
}

/** HelpFormatter's defaults: one space before an option, three between the options and their text. */
const LEFT_PADDING = 1;
const DESCRIPTION_PADDING = 3;

/**
 * The option lines zkCli 3.9 prints under a usage line (HelpFormatter.printOptions): sorted by
 * name ignoring case, ` -v <arg>` padded to the widest, then the description.
 *
 * @example optionHelpLines([{ name: "b", hasArg: false, description: "Supply data in base64 format" }])
 * // [" -b   Supply data in base64 format"]
 */
export function optionHelpLines(options: readonly OptionHelp[]): string[] {
  const sorted = [...options].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  const heads = sorted.map((o) => `${" ".repeat(LEFT_PADDING)}-${o.name}${o.hasArg ? " <arg>" : ""}`);
  const width = Math.max(...heads.map((h) => h.length));
  return sorted.map((o, i) => `${heads[i]!.padEnd(width + DESCRIPTION_PADDING)}${o.description}`);
}
