// canBeReadOnly's search for a read-write server: the client sits on a read-only server (a small
// stand-in that answers the handshake read-only and `isro` with "ro") and must find, by asking
// `isro`, the real Paddock server next to it, move there with a new session, and say so.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { test } from "node:test";
import { createClient } from "../mod.ts";
import { JuteWriter, writeConnectResponse } from "../core/proto/mod.ts";
import { startServer } from "../core/server/start_server.ts";
import { waitFor } from "./client_helpers.ts";

/** Answers every handshake as a read-only server with session 0x77, and `isro` with "ro". */
function readOnlyStandIn(): Promise<{ server: Server; port: number; handshakes: () => number }> {
  let handshakes = 0;
  const server = createServer((socket: Socket) => {
    socket.once("data", (chunk) => {
      if (chunk.subarray(0, 4).toString() === "isro") {
        socket.end("ro");
        return;
      }
      handshakes++;
      const w = new JuteWriter(64, { framed: true });
      writeConnectResponse(w, { protocolVersion: 0, timeOut: 10_000, sessionId: 0x77n, passwd: new Uint8Array(16), readOnly: true });
      socket.write(w.finishFrame());
      // Pings and requests go unanswered: the client moves on before it would notice.
      socket.on("data", () => {});
    });
    socket.on("error", () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port, handshakes: () => handshakes })));
}

test("canBeReadOnly: on a read-only server the client asks the others isro and moves to the one that says rw", { timeout: 60_000 }, async () => {
  const readOnly = await readOnlyStandIn();
  await using paddock = await startServer({ clientPort: 0, inMemory: true, fourLetterWords: new Set(["srvr", "isro"]) });
  const client = createClient(`127.0.0.1:${readOnly.port},${paddock.connectString}`, { canBeReadOnly: true, shuffleHosts: false, sessionTimeoutMs: 10_000 });
  const states: string[] = [];
  client.on("state", (state) => states.push(state));
  try {
    await client.ready({ signal: AbortSignal.timeout(10_000) });
    assert.equal(client.readOnly, true);
    assert.equal(client.sessionId, 0x77n);
    // Found within the first probes (100 ms, then 200 ms, ...): isro on the Paddock server says rw.
    await waitFor("the move to the read-write server", () => client.readOnly === false && client.state === "connected", 10_000);
    assert.deepEqual(states, ["connectedReadOnly", "disconnected", "connected"]);
    assert.notEqual(client.sessionId, 0x77n, "a new session from the read-write server (the read-only one's is local to it)");
    assert.equal(readOnly.handshakes(), 1);
    await client.create("/moved", "x");
    const { data } = await client.getData("/moved");
    assert.equal(new TextDecoder().decode(data!), "x");
  } finally {
    await client.close();
    readOnly.server.close();
  }
});
