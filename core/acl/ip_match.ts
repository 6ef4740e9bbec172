/**
 * The `ip` ACL scheme: an IPv4/IPv6 address, optionally with a /bits mask (CIDR), matched
 * against the client's address.
 */
export function ipBytes(address: string): Uint8Array | null {
  const v4 = address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
  if (v4.includes(".")) return ipv4Bytes(v4);
  return ipv6Bytes(address);
}

function ipv4Bytes(address: string): Uint8Array | null {
  const parts = address.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^\d{1,3}$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes[i] = value;
  }
  return bytes;
}

function ipv6Bytes(address: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:]+$/.test(address)) return null;
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const group = groups[i]!;
    if (group.length === 0 || group.length > 4) return null;
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  }
  return bytes;
}

/** True when `expression` ("10.0.0.0/8", "127.0.0.1") is a well-formed ip ACL id. */
export function isValidIpExpression(expression: string): boolean {
  const [address, bits, extra] = expression.split("/");
  if (extra !== undefined) return false;
  const bytes = ipBytes(address ?? "");
  if (bytes === null) return false;
  if (bits === undefined) return true;
  return /^\d+$/.test(bits) && Number(bits) <= bytes.length * 8;
}

/** True when the client's address falls inside the ACL's address/mask. */
export function ipMatches(clientAddress: string, expression: string): boolean {
  const [address, bitsText] = expression.split("/");
  const want = ipBytes(address ?? "");
  const have = ipBytes(clientAddress);
  if (want === null || have === null || want.length !== have.length) return false;
  const bits = bitsText === undefined ? want.length * 8 : Number(bitsText);
  for (let i = 0; i < want.length; i++) {
    const maskBits = Math.max(0, Math.min(8, bits - i * 8));
    const mask = (0xff << (8 - maskBits)) & 0xff;
    if ((want[i]! & mask) !== (have[i]! & mask)) return false;
  }
  return true;
}
