/** How much a server log line matters; an operator picks the least that is shown. */
export const LogLevel = { error: "ERROR", warn: "WARN", info: "INFO", debug: "DEBUG" } as const;
/** One of {@link LogLevel}. */
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/**
 * Where the server's log lines go. The level is optional so a plain `(line) => ...` still fits;
 * a line without one is INFO.
 *
 * @example const log: LogSink = (message, level = LogLevel.info) => console.error(`${level} ${message}`);
 */
export type LogSink = (message: string, level?: LogLevel) => void;

const RANK: Record<LogLevel, number> = { ERROR: 0, WARN: 1, INFO: 2, DEBUG: 3 };

/**
 * True when a line of `level` is shown at the chosen `threshold`.
 *
 * @example shown(LogLevel.debug, LogLevel.info) // false
 */
export function shown(level: LogLevel, threshold: LogLevel): boolean {
  return RANK[level] <= RANK[threshold];
}

/**
 * Reads a level as operators write it (`debug`, `INFO`, `warning`), or undefined.
 *
 * @example parseLogLevel("warning") // "WARN"
 */
export function parseLogLevel(text: string): LogLevel | undefined {
  const upper = text.trim().toUpperCase();
  if (upper === "WARNING") return LogLevel.warn;
  return (Object.values(LogLevel) as string[]).includes(upper) ? upper as LogLevel : undefined;
}
