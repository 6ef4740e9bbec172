import type { JavaValue } from "../http/jackson_json.ts";
import { type AdminCommand, ok } from "./command.ts";

/** `dump`, `wchc`, `wchp`, `wchs`. Session ids are longs; map keys are their decimal text. */
export const sessionCommands: readonly AdminCommand[] = [
  {
    names: ["dump"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => {
      const expiry: Record<string, JavaValue> = {};
      const ephemerals: Record<string, JavaValue> = {};
      for (const session of view.sessions()) {
        const key = String(session.expiresAtWallMs);
        expiry[key] = [...((expiry[key] as bigint[] | undefined) ?? []), session.sessionId];
        if (session.ephemerals.length > 0) ephemerals[session.sessionId.toString()] = session.ephemerals;
      }
      return ok({ expiry_time_to_session_ids: expiry, session_id_to_ephemeral_paths: ephemerals });
    },
  },
  {
    names: ["watches", "wchc"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => {
      const bySession: Record<string, JavaValue> = {};
      for (const [sessionId, paths] of view.watches().bySession) bySession[sessionId.toString()] = paths;
      return ok({ session_id_to_watched_paths: bySession });
    },
  },
  {
    names: ["watches_by_path", "wchp"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => ok({ path_to_session_ids: Object.fromEntries(view.watches().byPath) }),
  },
  {
    names: ["watch_summary", "wchs"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => {
      const w = view.watches();
      return ok({ num_connections: w.bySession.size, num_paths: w.byPath.size, num_total_watches: w.total });
    },
  },
];
