/** The client-protocol codec: jute primitives, records, codes. Shared by server and client. */
export { JuteWriter } from "./jute_writer.ts";
export { JuteError, JuteReader } from "./jute_reader.ts";
export { FrameParser, JUTE_MAX_BUFFER_DEFAULT } from "./frame_parser.ts";
export { OpCode, Xid, opName } from "./op_code.ts";
export { ErrorCode, KeeperError, errorName } from "./error_code.ts";
export { Refusal } from "./refusal.ts";
export { AddWatchMode, EventType, KeeperState, WatcherType } from "./watch_event.ts";
export { Perms } from "./acl_perms.ts";
export { CreateMode, createModeInfo, type CreateModeInfo } from "./create_mode.ts";
export * from "./records.ts";
export { baseName, parentPath, pathProblem } from "./path.ts";
