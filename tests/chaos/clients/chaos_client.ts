// What a workload needs from a ZooKeeper client, implemented over the Paddock TypeScript client
// and over the ZooKeeper Java client (in its own JVM), so one workload drives both.

/** A ZooKeeper error by its KeeperException.Code name (BADVERSION, CONNECTIONLOSS, ...). */
export class ChaosClientError extends Error {
  override name = "ChaosClientError";
  readonly code: string;

  constructor(code: string, detail = "") {
    super(detail === "" ? code : `${code}: ${detail}`);
    this.code = code;
  }
}

/** The harness gave up waiting for an answer (the operation's outcome is unknown). */
export const HARNESS_TIMEOUT = "HARNESS_TIMEOUT";

/** Connection states a workload reacts to. */
export const SessionState = { connected: "connected", disconnected: "disconnected", expired: "expired", closed: "closed" } as const;
/** One of {@link SessionState}. */
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

/** How a znode is created. */
export const NodeMode = {
  persistent: "PERSISTENT",
  persistentSequential: "PERSISTENT_SEQUENTIAL",
  ephemeralSequential: "EPHEMERAL_SEQUENTIAL",
} as const;
/** One of {@link NodeMode}. */
export type NodeMode = (typeof NodeMode)[keyof typeof NodeMode];

/** getData's answer. */
export interface NodeData {
  value: string | null;
  version: number;
  mzxid: bigint;
}

/** setData's answer. */
export interface NodeVersion {
  version: number;
  mzxid: bigint;
}

/** One ZooKeeper session. Every call rejects with {@link ChaosClientError} on a ZooKeeper error. */
export interface ChaosSession {
  /** The session id in hex. */
  readonly sessionId: string;
  /** The zxid of the last reply header this session saw. */
  lastZxid(): bigint;
  create(path: string, value: string, mode: NodeMode): Promise<string>;
  getData(path: string): Promise<NodeData>;
  setData(path: string, value: string, version: number): Promise<NodeVersion>;
  delete(path: string, version: number): Promise<void>;
  getChildren(path: string): Promise<string[]>;
  /** True when the node exists; with `onChange`, a one-shot watch calls it at the next change. */
  exists(path: string, onChange?: () => void): Promise<boolean>;
  sync(path: string): Promise<void>;
  /**
   * A quorum write that changes nothing: multi with one check of `path` at any version. Once it
   * answers, this session's next read sees every write acknowledged before it was sent, which
   * ZooKeeper documents as the way to a linearizable read (sync alone is not a quorum operation).
   */
  barrier(path: string): Promise<void>;
  /** Calls back on connection-state changes; returns the function that stops that. */
  onState(listener: (state: SessionState) => void): () => void;
  close(): Promise<void>;
}

/** Opens sessions of one client library. */
export interface ChaosClientLibrary {
  /** "paddock" or "java", for reports. */
  readonly name: string;
  open(connectString: string, sessionTimeoutMs: number): Promise<ChaosSession>;
  /** Ends every session and whatever process backs them. */
  close(): Promise<void>;
}
