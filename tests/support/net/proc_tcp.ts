import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";

/** One established TCP connection on 127.0.0.1, from one end's point of view. */
export interface TcpEnd {
  localPort: number;
  remotePort: number;
  inode: number;
}

const ESTABLISHED = "01";

/** True where /proc/net/tcp can be read (Linux). */
export function procTcpAvailable(): boolean {
  return existsSync("/proc/net/tcp") && existsSync("/proc/self/fd");
}

/**
 * Established IPv4 connection ends on this machine, from /proc/net/tcp.
 *
 * @example establishedEnds().filter((e) => e.localPort === 2181)
 */
export function establishedEnds(): TcpEnd[] {
  const ends: TcpEnd[] = [];
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== ESTABLISHED) continue;
    ends.push({ localPort: portOf(fields[1]!), remotePort: portOf(fields[2]!), inode: Number(fields[9]) });
  }
  return ends;
}

/** Socket inodes this process holds open. */
export function ownSocketInodes(): Set<number> {
  const inodes = new Set<number>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match !== null) inodes.add(Number(match[1]));
    } catch {
      // The fd closed while we looked.
    }
  }
  return inodes;
}

function portOf(address: string): number {
  return Number.parseInt(address.split(":")[1]!, 16);
}
