/**
 * What a peer or a file can do wrong, as typed operating errors: the quorum and election ports
 * and ZooKeeper's files are input like any other, and bad input gets a clear error (and a closed
 * connection), never a crash or an endless wait.
 */
export const WireErrorCode = {
  /** A length or count is negative, or larger than the limit (jute.maxbuffer and friends). */
  tooLarge: "too_large",
  /** The bytes do not form the record they should (bad length, unknown value, trailing bytes). */
  malformed: "malformed",
  /** The input ended inside a record (a file cut short, a stream finished early). */
  truncated: "truncated",
  /** A file or handshake does not start with the magic or version ZooKeeper writes. */
  badHeader: "bad_header",
  /** An Adler-32 seal or record checksum does not match the bytes it covers. */
  badChecksum: "bad_checksum",
  /** A snapshot stream does not end with ZooKeeper's "BenWasHere" signature. */
  badSignature: "bad_signature",
  /** A tree changed while a snapshot of it was being encoded. */
  treeChanged: "tree_changed",
} as const;

/** One of the values of {@link WireErrorCode}. */
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/**
 * A wire or file format error a peer (or a damaged file) caused.
 *
 * @example throw new WireError(WireErrorCode.tooLarge, "quorum packet data of 9999999 bytes exceeds 2097150")
 */
export class WireError extends Error {
  readonly code: WireErrorCode;

  constructor(code: WireErrorCode, message: string) {
    super(message);
    this.name = "WireError";
    this.code = code;
  }
}
