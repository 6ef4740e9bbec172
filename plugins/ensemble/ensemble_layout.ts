import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** Where one local member lives and listens. */
export interface LocalMember {
  readonly sid: number;
  readonly observer: boolean;
  readonly dir: string;
  readonly cfgPath: string;
  readonly clientPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
  /** The member's AdminServer port (admin.serverPort). */
  readonly adminPort: number;
}

/** The shape of a local development ensemble. */
export interface EnsembleLayout {
  readonly members: number;
  readonly observers: number;
  readonly dir: string;
  readonly host: string;
  readonly clientPortBase: number;
  readonly peerPortBase: number;
  readonly adminPortBase: number;
  readonly tickTime: number;
}

/**
 * Writes (or reuses) one member directory per server: `member<N>/zoo.cfg` naming every server,
 * `member<N>/data/myid`. Client ports count up from clientPortBase; quorum and election ports
 * from peerPortBase (2888/3888 style: quorum = base + N, election = base + 1000 + N).
 */
export function writeEnsembleLayout(layout: EnsembleLayout): LocalMember[] {
  const total = layout.members + layout.observers;
  const members: LocalMember[] = [];
  for (let sid = 1; sid <= total; sid++) {
    const dir = resolve(layout.dir, `member${sid}`);
    members.push({
      sid,
      observer: sid > layout.members,
      dir,
      cfgPath: join(dir, "zoo.cfg"),
      clientPort: layout.clientPortBase + sid - 1,
      quorumPort: layout.peerPortBase + sid,
      electionPort: layout.peerPortBase + 1000 + sid,
      adminPort: layout.adminPortBase + sid - 1,
    });
  }
  const serverLines = members.map((m) =>
    `server.${m.sid}=${layout.host}:${m.quorumPort}:${m.electionPort}${m.observer ? ":observer" : ""}`
  );
  for (const m of members) {
    mkdirSync(join(m.dir, "data"), { recursive: true });
    const myid = join(m.dir, "data", "myid");
    if (!existsSync(myid)) writeFileSync(myid, `${m.sid}\n`);
    writeFileSync(m.cfgPath, [
      "# Written by `paddock ensemble`: a local development ensemble.",
      `tickTime=${layout.tickTime}`,
      "initLimit=10",
      "syncLimit=5",
      `dataDir=${join(m.dir, "data")}`,
      `clientPort=${m.clientPort}`,
      `clientPortAddress=${layout.host}`,
      "4lw.commands.whitelist=*",
      `admin.serverPort=${m.adminPort}`,
      ...(m.observer ? ["peerType=observer"] : []),
      ...serverLines,
      "",
    ].join("\n"));
  }
  return members;
}
