import { startEnsemble, type Ensemble, MemberKind } from "./ensemble.ts";
import { reservePorts } from "./ports.ts";

/** One member of {@link startPaddockEnsemble}'s ensemble, as the AdminServer tests use it. */
export interface PaddockEnsembleMember {
  id: number;
  /** `http://127.0.0.1:<admin port>/commands`, or "" without `admin`. */
  adminUrl: string;
  clientPort: number;
  /** Stops the whole ensemble (every member's stop does the same; the second call is a no-op). */
  stop(): Promise<void>;
}

/**
 * Starts `size` Paddock servers as one ensemble (real processes from zoo.cfg + myid, no proxies)
 * and waits for a leader with every member serving. With `admin`, each member runs its
 * AdminServer on a port of its own.
 *
 * @example const [m1] = await startPaddockEnsemble(3, { admin: true }); await fetch(`${m1.adminUrl}/lead`);
 */
export async function startPaddockEnsemble(size: number, options: { admin?: boolean } = {}): Promise<PaddockEnsembleMember[]> {
  const admin = options.admin ? await reservePorts(size) : undefined;
  await admin?.release();
  const ensemble: Ensemble = await startEnsemble({
    participants: Array.from({ length: size }, () => MemberKind.paddock),
    proxies: false,
    memberExtra: admin === undefined
      ? undefined
      : (id) => ({ "admin.enableServer": true, "admin.serverAddress": "127.0.0.1", "admin.serverPort": admin.ports[id - 1]! }),
  });
  const stop = () => ensemble.stop();
  return ensemble.members.map((m) => ({
    id: m.id,
    adminUrl: admin === undefined ? "" : `http://127.0.0.1:${admin.ports[m.id - 1]}/commands`,
    clientPort: m.ports.clientPort,
    stop,
  }));
}
