import { connect } from "node:net";

/** Where and how long to ask a four-letter word. */
export interface FourLetterOptions {
  host: string;
  port: number;
  word: string;
  timeoutMs?: number;
}

/**
 * Sends a ZooKeeper four-letter word (`ruok`, `srvr`, `mntr`, ...) and returns the
 * whole answer; the server closes the connection when it is done.
 * Rejects on connect errors and when no answer completes within the timeout.
 *
 * @example await fourLetterWord({ host: "127.0.0.1", port, word: "ruok" }) // "imok"
 */
export function fourLetterWord(opts: FourLetterOptions): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 2_000;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: opts.host, port: opts.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${opts.word}: no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", () => socket.write(opts.word));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}
