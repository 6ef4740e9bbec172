import assert from "node:assert/strict";

const CONTEXT_LINES = 4;

/** Two transcripts to compare, with names for the failure message. */
export interface TranscriptPair {
  expected: string[];
  actual: string[];
  expectedLabel: string;
  actualLabel: string;
}

/**
 * Asserts two probe transcripts are equal line by line. On mismatch the message names the
 * first differing line, both versions of it, and a few lines of shared context before it.
 *
 * @example assertSameTranscript({ expected: zkLines, actual: paddockLines, expectedLabel: "zookeeper", actualLabel: "paddock" });
 */
export function assertSameTranscript(pair: TranscriptPair): void {
  const { expected, actual } = pair;
  const length = Math.max(expected.length, actual.length);
  for (let i = 0; i < length; i++) {
    if (expected[i] === actual[i]) continue;
    const context = expected.slice(Math.max(0, i - CONTEXT_LINES), i).map((l) => `    ${l}`);
    assert.fail(
      [
        `${pair.actualLabel} transcript differs from ${pair.expectedLabel} at line ${i + 1} ` +
          `(${pair.expectedLabel}: ${expected.length} lines, ${pair.actualLabel}: ${actual.length} lines)`,
        ...context,
        `  ${pair.expectedLabel}: ${expected[i] ?? "<end of transcript>"}`,
        `  ${pair.actualLabel}: ${actual[i] ?? "<end of transcript>"}`,
        `--- full ${pair.actualLabel} transcript ---`,
        ...actual,
      ].join("\n"),
    );
  }
}

/**
 * Asserts the transcript contains these lines in this order (other lines may come between).
 * Guards the oracle: two equally broken runs must not pass the comparison.
 *
 * @example assertHasLines(zkLines, ["create /probe -> /probe", "done"], "zookeeper");
 */
export function assertHasLines(transcript: string[], required: string[], label: string): void {
  let at = 0;
  const missing: string[] = [];
  for (const line of required) {
    const found = transcript.indexOf(line, at);
    if (found < 0) missing.push(line);
    else at = found + 1;
  }
  if (missing.length === 0) return;
  assert.fail(
    [`${label} transcript lacks ${missing.length} expected line(s) (or has them out of order):`,
      ...missing.map((l) => `  ${l}`), `--- full ${label} transcript ---`, ...transcript].join("\n"),
  );
}
