import type { Data } from "./types.ts";

const encoder = new TextEncoder();

/** Znode data as bytes: strings become UTF-8, null stays null (an empty znode). */
export function toBytes(data: Data | null | undefined): Uint8Array | null {
  if (data === null || data === undefined) return null;
  return typeof data === "string" ? encoder.encode(data) : data;
}
