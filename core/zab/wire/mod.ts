/**
 * Every byte format that crosses between ZooKeeper servers, as pure codecs (no I/O, no timers),
 * each checked byte for byte against ZooKeeper 3.9.3 (tests/zk_log_oracle.test.ts,
 * tests/zk_quorum_oracle.test.ts). The state machines in core/zab use them; the runtime feeds
 * them socket chunks and writes what they return.
 *
 * Election port (per connection): the dialer writes `encodeInitialMessage`, then both sides
 * write `frameElectionMessage(encodeNotification(vote))`; the acceptor reads with
 * `ElectionStreamParser({ expectHandshake: true })` and keeps the connection only if
 * `keepsConnection("acceptor", mySid, hello.sid)`.
 *
 * Quorum port (leader <-> learner): `encodeQuorumPacket` out, `QuorumPacketParser` in. The
 * builders and readers in learner_packets.ts give each packet ZooKeeper's shape. A leader sends
 * SNAP then the chunks of `encodeZkSnapshot(tree, sessions)`; a learner that reads SNAP calls
 * `parser.receiveSnapshot(new ZkSnapshotDecoder(tree))` and packets resume after the signature.
 * PROPOSAL and INFORM data is `encodeTxn(header, txn, { version: DIGEST_VERSION, treeDigest })`,
 * the tree's digest after the txn (core/tree/tree_digest.ts, DataTree.digest).
 *
 * Files: `readZkTxnLog` / `encodeZkTxnLog` and `decodeZkSnapshotFile` / `encodeZkSnapshotFile`
 * read and write a ZooKeeper dataDir's version-2 files.
 */
export { WireError, WireErrorCode } from "./wire_error.ts";
export {
  decodeNotification,
  ELECTION_FRAME_MAX_BYTES,
  type ElectionItem,
  ElectionStreamParser,
  encodeInitialMessage,
  encodeNotification,
  frameElectionMessage,
  type InitialMessage,
  keepsConnection,
  type Notification,
  NOTIFICATION_VERSION,
  OBSERVER_ID,
  PROTOCOL_VERSION_V1,
  PROTOCOL_VERSION_V2,
  ServerState,
} from "./election_wire.ts";
export {
  formatHostPort,
  formatQuorumConfig,
  formatQuorumServer,
  type HostPort,
  LearnerRole,
  parseQuorumConfig,
  parseQuorumServer,
  type QuorumConfig,
  type QuorumServer,
  type ServerAddress,
} from "./quorum_config.ts";
export { encodeQuorumPacket, PacketType, packetTypeName, type QuorumPacket, type QuorumPacketLimits, QuorumPacketParser } from "./quorum_packet.ts";
export * from "./learner_packets.ts";
export {
  encodeZkSnapshot,
  OPEN_ACL_REF,
  type SessionTimeout,
  SNAP_SIGNATURE,
  ZK_MAX_LENGTH_BYTES,
  ZkSnapshotDecoder,
  type ZkSnapshotDecodeOptions,
  type ZkSnapshotEncodeOptions,
} from "./zk_snapshot.ts";
export { decodeZkSnapshotFile, encodeZkSnapshotFile, type ZkSnapshotFile, type ZkSnapshotFileOptions, type ZxidDigest } from "./zk_snapshot_file.ts";
export { encodeZkTxnLog, readZkTxnLog, ZkLogEnd, type ZkTxnLog } from "./zk_txn_log.ts";
export { SNAP_MAGIC, TXNLOG_MAGIC, ZK_FILE_VERSION, type ZkFileHeader } from "./zk_file_header.ts";
