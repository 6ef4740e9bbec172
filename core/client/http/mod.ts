/**
 * The HTTP gateway client on its own: fetch and streams only, nothing from node:*, so a browser
 * (the web console included) can import it without the binary client's TCP transport.
 *
 * @example
 * import { GatewayClient } from "./core/client/http/mod.ts";
 * const zk = new GatewayClient("http://127.0.0.1:8080");
 * const { text, stat } = await zk.getData("/config");
 */
export {
  GatewayClient,
  type GatewayClientOptions,
  type GatewayAcl,
  type GatewayCreateMode,
  type GatewayData,
  GatewayHttpError,
  type GatewayNode,
  type GatewayOp,
  GatewaySession,
  type GatewayStat,
  type GatewayWatch,
  type GatewayWatchEvent,
  type WatchOptions as GatewayWatchOptions,
} from "./gateway_client.ts";
export { type SseEvent, SseParser } from "./sse_parser.ts";
