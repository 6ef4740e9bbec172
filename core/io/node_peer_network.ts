import { acceptedStreams, dialedStream, type PeerNetwork } from "./peer_stream.ts";
import { listen } from "./node_listener.ts";
import { nodeTransport } from "./node_transport.ts";

/**
 * Members' connections to each other over node:net (Node, Deno and Bun): dials give up after
 * the given timeout; listeners hand each accepted socket over as a PeerStream.
 */
export const nodePeerNetwork: PeerNetwork = {
  async dial(host, port, timeoutMs) {
    const connection = await nodeTransport.connect(host, port, AbortSignal.timeout(timeoutMs));
    return dialedStream(connection, `${host}:${port}`);
  },
  async listen(host, port, onStream) {
    const listener = await listen(acceptedStreams(onStream), { host, port });
    return { port: listener.port, close: () => listener.close() };
  },
};
