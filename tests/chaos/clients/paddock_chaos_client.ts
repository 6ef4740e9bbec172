import { type Client, ConnectionState, createClient, CreateMode, ErrorCode, KeeperError } from "../../../mod.ts";
import { ChaosClientError, type ChaosClientLibrary, type ChaosSession, type NodeMode, SessionState } from "./chaos_client.ts";

const CONNECT_TIMEOUT_FACTOR = 3;
const CODE_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));
const decoder = new TextDecoder();

/**
 * Sessions of the Paddock TypeScript client (`createClient` from mod.ts), in the harness's own
 * process, so their timing is the harness's.
 *
 * @example const session = await paddockClients().open(ensemble.connectString(), 4000);
 */
export function paddockClients(): ChaosClientLibrary {
  const open = new Set<PaddockSession>();
  return {
    name: "paddock",
    async open(connectString, sessionTimeoutMs) {
      const client = createClient(connectString, { sessionTimeoutMs });
      try {
        await client.ready({ signal: AbortSignal.timeout(sessionTimeoutMs * CONNECT_TIMEOUT_FACTOR) });
      } catch (err) {
        await client.close().catch(() => undefined);
        throw asChaosError(err);
      }
      const session = new PaddockSession(client, () => open.delete(session));
      open.add(session);
      return session;
    },
    async close() {
      await Promise.all([...open].map((s) => s.close()));
    },
  };
}

class PaddockSession implements ChaosSession {
  readonly sessionId: string;
  readonly #client: Client;
  readonly #onClose: () => void;

  constructor(client: Client, onClose: () => void) {
    this.#client = client;
    this.#onClose = onClose;
    this.sessionId = client.sessionId.toString(16);
  }

  lastZxid(): bigint {
    return this.#client.lastZxid;
  }

  create(path: string, value: string, mode: NodeMode): Promise<string> {
    return wrap(async () => (await this.#client.create(path, value, { mode: CreateMode[mode] })).path);
  }

  getData(path: string) {
    return wrap(async () => {
      const { data, stat } = await this.#client.getData(path);
      return { value: data === null ? null : decoder.decode(data), version: stat.version, mzxid: stat.mzxid };
    });
  }

  setData(path: string, value: string, version: number) {
    return wrap(async () => {
      const stat = await this.#client.setData(path, value, version);
      return { version: stat.version, mzxid: stat.mzxid };
    });
  }

  delete(path: string, version: number): Promise<void> {
    return wrap(() => this.#client.delete(path, version));
  }

  getChildren(path: string): Promise<string[]> {
    return wrap(async () => (await this.#client.getChildren(path)).children);
  }

  exists(path: string, onChange?: () => void): Promise<boolean> {
    return wrap(async () => (await this.#client.exists(path, onChange === undefined ? {} : { watch: () => onChange() })) !== null);
  }

  sync(path: string): Promise<void> {
    return wrap(async () => void (await this.#client.sync(path)));
  }

  barrier(path: string): Promise<void> {
    return wrap(async () => void (await this.#client.multi([{ op: "check", path, version: -1 }])));
  }

  onState(listener: (state: SessionState) => void): () => void {
    return this.#client.on("state", (state) => {
      const mapped = STATES[state];
      if (mapped !== undefined) listener(mapped);
    });
  }

  async close(): Promise<void> {
    this.#onClose();
    await this.#client.close().catch(() => undefined);
  }
}

const STATES: Partial<Record<ConnectionState, SessionState>> = {
  [ConnectionState.connected]: SessionState.connected,
  [ConnectionState.reconnected]: SessionState.connected,
  [ConnectionState.disconnected]: SessionState.disconnected,
  [ConnectionState.expired]: SessionState.expired,
  [ConnectionState.closed]: SessionState.closed,
};

async function wrap<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw asChaosError(err);
  }
}

function asChaosError(err: unknown): ChaosClientError {
  if (err instanceof KeeperError) return new ChaosClientError(CODE_NAMES.get(err.code) ?? `CODE${err.code}`);
  if (err instanceof Error && err.name === "TimeoutError") return new ChaosClientError("OPERATIONTIMEOUT", err.message);
  return new ChaosClientError("SYSTEMERROR", err instanceof Error ? err.message : String(err));
}
