import { after, test } from "node:test";
import { paddockAvailable, startPaddock, startZooKeeper, type ServerHandle, type ServerOptions, zookeeperSkipReason } from "./servers.ts";
import { assertHasLines, assertSameTranscript } from "./transcript.ts";

/** A real-client probe and what the oracle must show. */
export interface OracleSuite {
  /** Names the client, e.g. "java client". */
  name: string;
  /** Why the probe cannot run here (missing client or ZooKeeper), or false. */
  skipReason: string | false;
  /** Options for both servers, e.g. extendedTypesEnabled for TTL nodes. */
  serverOptions?: ServerOptions;
  /** Runs the scenario against `connectString` and returns its normalized transcript. */
  probe: (connectString: string) => Promise<string[]>;
  /** Lines the ZooKeeper transcript must contain, in order. */
  expectedLines: string[];
}

/** Generous: a JVM client on 2 busy cores, run twice. */
const TEST_TIMEOUT_MS = 300_000;

/**
 * Registers the two tests every probe gets: the ZooKeeper transcript shows the expected
 * results, and Paddock's transcript equals ZooKeeper's line by line. The ZooKeeper transcript is
 * produced once per file; each Paddock run gets a fresh server. Skips are decided at
 * registration so every runtime reports them as skipped, not passed.
 *
 * @example defineOracleSuite({ name: "kazoo", skipReason: false, probe: runKazooProbe, expectedLines: ["done"] });
 */
export function defineOracleSuite(suite: OracleSuite): void {
  // Both tests need the oracle's transcript: without ZooKeeper there is nothing to compare with.
  const skipReason = suite.skipReason || zookeeperSkipReason();
  let oracle: Promise<string[]> | undefined;
  let zookeeper: ServerHandle | undefined;
  const zookeeperTranscript = (): Promise<string[]> => {
    oracle ??= (async () => {
      zookeeper = await startZooKeeper(suite.serverOptions);
      return suite.probe(zookeeper.connectString);
    })();
    return oracle;
  };
  after(async () => {
    await zookeeper?.stop();
  });

  test(`${suite.name}: ZooKeeper transcript shows the expected results`, { skip: skipReason, timeout: TEST_TIMEOUT_MS }, async () => {
    assertHasLines(await zookeeperTranscript(), suite.expectedLines, "zookeeper");
  });

  const paddockSkip = skipReason || (paddockAvailable() ? false : "Paddock server entry point plugins/main.ts does not exist yet");
  test(`${suite.name}: Paddock transcript equals ZooKeeper's`, { skip: paddockSkip, timeout: TEST_TIMEOUT_MS }, async () => {
    const expected = await zookeeperTranscript();
    const paddock = await startPaddock(suite.serverOptions);
    try {
      const actual = await suite.probe(paddock.connectString);
      assertSameTranscript({ expected, actual, expectedLabel: "zookeeper", actualLabel: "paddock" });
    } finally {
      await paddock.stop();
    }
  });
}
