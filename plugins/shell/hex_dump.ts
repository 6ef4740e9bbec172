/**
 * Netty's ByteBufUtil.prettyHexDump, which zkCli 3.9's `get -x` prints: a header, one row of 16
 * bytes per line (offset, hex, printable ASCII), a footer; nothing at all for no bytes.
 *
 * @example hexDump(new TextEncoder().encode("hi")).split("\n")[3] // "|00000000| 68 69 ...  |hi              |"
 */
export function hexDump(bytes: Uint8Array): string {
  if (bytes.length === 0) return "";
  const lines = [
    "         +-------------------------------------------------+",
    "         |  0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f |",
    "+--------+-------------------------------------------------+----------------+",
  ];
  for (let start = 0; start < bytes.length; start += 16) lines.push(row(bytes.subarray(start, start + 16), start));
  lines.push("+--------+-------------------------------------------------+----------------+");
  return lines.join("\n");
}

function row(chunk: Uint8Array, offset: number): string {
  let hex = "";
  let ascii = "";
  for (const byte of chunk) {
    hex += ` ${byte.toString(16).padStart(2, "0")}`;
    ascii += byte <= 0x1f || byte >= 0x7f ? "." : String.fromCharCode(byte);
  }
  // Offsets past 0xffffffff keep their low 32 bits, as netty prints them.
  const prefix = (offset >>> 0).toString(16).padStart(8, "0");
  return `|${prefix}|${hex.padEnd(48)} |${ascii.padEnd(16)}|`;
}
