/**
 * A request the server answers with a ZooKeeper error code (NONODE on a read miss, BADVERSION,
 * NOAUTH, ...). Thrown on the server's hot paths, so it is deliberately not an Error: building an
 * Error captures a stack trace, which cost more than the whole rest of a read
 * (bench/codec_bench.ts: ~11 µs for a thrown KeeperError). Clients get `KeeperError`s.
 */
export class Refusal {
  readonly code: number;
  readonly path: string | undefined;

  constructor(code: number, path?: string) {
    this.code = code;
    this.path = path;
  }
}
