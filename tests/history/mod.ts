// The history checkers as one barrel: pure functions over a recorded history (real time in ms, or a
// simulator's virtual ticks), usable by the real-process chaos suite and the deterministic simulator.
export * from "./history.ts";
export * from "./anomaly.ts";
export * from "./linearizability.ts";
export * from "./register_model.ts";
export * from "./ephemeral_model.ts";
export * from "./check_registers.ts";
export * from "./check_lost_writes.ts";
export * from "./check_sequential.ts";
export * from "./check_queue.ts";
export * from "./check_locks.ts";
export * from "./check_sessions.ts";
export * from "./check_history.ts";
