/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/** Longest line the parser holds while waiting for its end (a runaway stream fails instead). */
const LINE_MAX_CHARS = 4 * 1024 * 1024;

/**
 * The SSE wire format as browsers parse it (WHATWG "event stream interpretation"): fields per
 * line, an empty line dispatches, comments start with ":", CR/LF/CRLF line ends, chunks may split
 * anywhere. An event cut off by the end of the stream is never dispatched.
 *
 * @example const parser = new SseParser((e) => console.log(e)); parser.push("data: hi\n\n");
 */
export class SseParser {
  readonly #dispatch: (event: SseEvent) => void;
  #buffer = "";
  #event = "";
  #data: string[] = [];
  #id: string | undefined;
  /** The id of the last dispatched event (what Last-Event-ID sends back). */
  lastEventId: string | undefined;
  /** The reconnection delay the server asked for. */
  retryMs: number | undefined;

  constructor(dispatch: (event: SseEvent) => void) {
    this.#dispatch = dispatch;
  }

  push(chunk: string): void {
    this.#buffer += chunk;
    for (let guard = 0; guard < 1_000_000; guard++) {
      const end = this.#buffer.search(/\r\n|\r|\n/);
      if (end < 0) break;
      // A lone CR at the very end may be the first half of CRLF: wait for the next chunk.
      if (this.#buffer[end] === "\r" && end === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + (this.#buffer.startsWith("\r\n", end) ? 2 : 1));
      this.#line(line);
    }
    if (this.#buffer.length > LINE_MAX_CHARS) throw new Error(`event stream line longer than ${LINE_MAX_CHARS} characters`);
  }

  #line(line: string): void {
    if (line === "") {
      this.#flush();
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.#event = value;
        return;
      case "data":
        this.#data.push(value);
        return;
      case "id":
        if (!value.includes("\0")) this.#id = value;
        return;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        return;
    }
  }

  #flush(): void {
    if (this.#id !== undefined) this.lastEventId = this.#id;
    if (this.#data.length > 0) {
      this.#dispatch({ event: this.#event === "" ? "message" : this.#event, data: this.#data.join("\n"), id: this.#id ?? this.lastEventId });
    }
    this.#event = "";
    this.#data = [];
    this.#id = undefined;
  }
}
