/** Renders znode bytes as text, pretty JSON, or a hex dump. */
export type DataView = "text" | "json" | "hex";

export function bytesOf(base64: string | null): Uint8Array | null {
  if (base64 === null) return null;
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

export function formatData(bytes: Uint8Array | null, view: DataView): string {
  if (bytes === null) return "(null)";
  if (view === "hex") return hexDump(bytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return `(${bytes.length} bytes, not UTF-8: see Hex)`;
  }
  if (view === "text") return text === "" ? "(empty)" : text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch (error) {
    return `(not JSON: ${(error as Error).message})`;
  }
}

function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length && offset < 64 * 1024; offset += 16) {
    const row = [...bytes.subarray(offset, offset + 16)];
    const hex = row.map((b) => b.toString(16).padStart(2, "0")).join(" ").padEnd(47);
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex}  ${ascii}`);
  }
  return lines.join("\n") || "(empty)";
}
