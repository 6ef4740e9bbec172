import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_TIMING, type MemberSpec, PeerType, writeMemberCfg } from "./ensemble_cfg.ts";
import { fourLetterWord } from "./four_letter.ts";
import { MemberProcess, ProcessState } from "./member_process.ts";
import { parseSrvr, ServingMode } from "./member_status.ts";
import { reservePorts } from "./ports.ts";
import { REPO_ROOT, typeScriptCommand } from "./runtime.ts";
import { paddockAvailable, PADDOCK_ENTRY } from "./servers.ts";

const PROBE_MS = 10_000;
const POLL_MS = 200;

let cached: Promise<string | null> | undefined;

/**
 * Why Paddock cannot be an ensemble member yet, or null when it can. Starts one Paddock with a
 * three-server zoo.cfg whose peers are absent: running standalone from it, or exiting, means no
 * ensemble support (the reason quotes its log); staying up without a quorum means support. The
 * answer is computed once per process.
 *
 * @example const skip = (await paddockEnsembleMissing()) ?? false;
 */
export function paddockEnsembleMissing(): Promise<string | null> {
  cached ??= probe();
  return cached;
}

async function probe(): Promise<string | null> {
  if (!paddockAvailable()) return `Paddock entry point ${PADDOCK_ENTRY} missing`;
  const dir = mkdtempSync(join(tmpdir(), "paddock-ensemble-probe-"));
  const reservation = await reservePorts(9);
  await reservation.release();
  const [p, specs] = [reservation.ports, [] as MemberSpec[]];
  for (let id = 1; id <= 3; id++) {
    specs.push({ id, peerType: PeerType.participant, ports: { clientPort: p[id * 3 - 3]!, quorumPort: p[id * 3 - 2]!, electionPort: p[id * 3 - 1]! } });
  }
  const cfg = writeMemberCfg({ self: specs[0]!, members: specs, addressing: (_from, to) => specs[to - 1]!.ports, timing: DEFAULT_TIMING, dir });
  const logPath = join(dir, "member.log");
  const member = new MemberProcess({ command: typeScriptCommand(resolve(REPO_ROOT, PADDOCK_ENTRY), ["server", cfg.path]), cwd: REPO_ROOT, logPath });
  member.start();
  try {
    return await watch(member, specs[0]!.ports.clientPort, logPath);
  } finally {
    await member.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function watch(member: MemberProcess, clientPort: number, logPath: string): Promise<string | null> {
  const deadline = performance.now() + PROBE_MS;
  while (performance.now() < deadline) {
    if (member.state === ProcessState.dead) {
      const lines = readFileSync(logPath, "utf8").trim().split("\n").filter((l) => !l.startsWith("===")).slice(-3).join(" | ");
      return `paddock server exits on a multi-server zoo.cfg (code ${member.lastExit?.code}): ${lines}`;
    }
    const answer = await fourLetterWord({ host: "127.0.0.1", port: clientPort, word: "srvr", timeoutMs: 1_000 }).catch(() => undefined);
    const mode = answer === undefined ? undefined : parseSrvr(answer).mode;
    if (mode === ServingMode.standalone) return "Paddock runs standalone from a multi-server zoo.cfg (no ensemble support yet: issue 8)";
    if (mode === ServingMode.notServing) return null;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return null;
}
