// ZooKeeper's election connections start with an InitialMessage (QuorumCnxManager, 3.5+):
//   long protocolVersion (-65536 = V1, -65535 = V2), long sid, int length, UTF-8 "host:port"
//   (V2: "host1:port1|host2:port2"), the dialer's own election address.
// Older peers send just the long sid (>= 0). When the receiver has the higher sid it drops the
// connection and dials back *the advertised address*, not the one in its own zoo.cfg. Behind a
// proxy that address is the dialer's real port, so the dial-back would bypass the faults; the
// proxy therefore rewrites it to the proxy that carries the reverse link.

const PROTOCOL_VERSION_V1 = -65536n;
const PROTOCOL_VERSION_V2 = -65535n;
/** QuorumCnxManager.maxBuffer: ZooKeeper refuses a longer address, so anything longer is no InitialMessage. */
const ADDRESS_BYTES_MAX = 2048;
const HEADER_BYTES = 8 + 8 + 4;

/**
 * A stateful transform for the first bytes a dialer sends on an election connection: it holds
 * bytes until the InitialMessage is complete, then emits it with the address replaced by
 * `advertise`, and passes everything after it through untouched. Anything it cannot read as an
 * InitialMessage (old-style sid, unknown version, absurd length) passes through unchanged.
 *
 * @example const rewrite = electionHandshakeRewriter("127.0.0.1:41234"); pipeInput = rewrite(chunk);
 */
export function electionHandshakeRewriter(advertise: string): (chunk: Buffer) => Buffer {
  let pending: Buffer | undefined = Buffer.alloc(0);
  return (chunk) => {
    if (pending === undefined) return chunk;
    const head: Buffer = Buffer.concat([pending, chunk]);
    const outcome = rewrite(head, advertise);
    if (outcome === "incomplete") {
      pending = head;
      return Buffer.alloc(0);
    }
    pending = undefined;
    return outcome;
  };
}

/** The rewritten bytes, the bytes unchanged when they are no InitialMessage, or "incomplete". */
function rewrite(head: Buffer, advertise: string): Buffer | "incomplete" {
  if (head.length < 8) return "incomplete";
  const version = head.readBigInt64BE(0);
  if (version !== PROTOCOL_VERSION_V1 && version !== PROTOCOL_VERSION_V2) return head;
  if (head.length < HEADER_BYTES) return "incomplete";
  const length = head.readInt32BE(16);
  if (length <= 0 || length > ADDRESS_BYTES_MAX) return head;
  if (head.length < HEADER_BYTES + length) return "incomplete";
  const address = Buffer.from(advertise, "utf8");
  const out = Buffer.alloc(HEADER_BYTES + address.length);
  head.copy(out, 0, 0, 16);
  out.writeInt32BE(address.length, 16);
  address.copy(out, HEADER_BYTES);
  return Buffer.concat([out, head.subarray(HEADER_BYTES + length)]);
}
