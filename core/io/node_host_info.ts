import { readdirSync, readFileSync, statSync } from "node:fs";
import { arch, homedir, hostname, platform, release, tmpdir, totalmem, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import type { HostInfo, HostStorage } from "../server/host_info.ts";

const MB = 1024 * 1024;
/** Java's names for Node's platform and arch values, as ZooKeeper's `envi` prints them. */
const JAVA_OS_NAMES: Record<string, string> = { linux: "Linux", darwin: "Mac OS X", win32: "Windows", freebsd: "FreeBSD" };
const JAVA_ARCH_NAMES: Record<string, string> = { x64: "amd64", arm64: "aarch64", ia32: "x86" };
/** Upper bound on directory entries summed for `dirs` (a data dir holds a few dozen files). */
const DIR_ENTRIES_MAX = 100_000;

/**
 * Host facts from node:os, node:fs and /proc; works on Node, Deno and Bun. Where ZooKeeper
 * reports the JVM (java.version, java.home, ...) Paddock reports the JavaScript runtime.
 *
 * @example const host = nodeHostInfo({ dataDir: "./data", dataLogDir: "./data", inMemory: false });
 */
export function nodeHostInfo(dirs: { dataDir: string; dataLogDir: string; inMemory: boolean }): HostInfo {
  return {
    environment,
    fileDescriptors,
    storage: () => storage(dirs),
  };
}

function runtime(): { name: string; version: string } {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno !== undefined) return { name: "Deno", version: g.Deno.version.deno };
  if (g.Bun !== undefined) return { name: "Bun", version: g.Bun.version };
  return { name: "Node.js", version: process.versions.node };
}

function environment(): [string, string][] {
  const { name, version } = runtime();
  const memory = process.memoryUsage();
  return [
    ["host.name", safe(hostname)],
    ["java.version", version],
    ["java.vendor", name],
    ["java.home", dirname(dirname(process.execPath))],
    ["java.class.path", process.argv[1] ?? "<NA>"],
    ["java.library.path", "<NA>"],
    ["java.io.tmpdir", tmpdir()],
    ["java.compiler", "<NA>"],
    ["os.name", JAVA_OS_NAMES[platform()] ?? platform()],
    ["os.arch", JAVA_ARCH_NAMES[arch()] ?? arch()],
    ["os.version", release()],
    ["user.name", safe(() => userInfo().username)],
    ["user.home", safe(homedir)],
    ["user.dir", process.cwd()],
    ["os.memory.free", `${Math.floor((memory.heapTotal - memory.heapUsed) / MB)}MB`],
    ["os.memory.max", `${Math.floor(totalmem() / MB)}MB`],
    ["os.memory.total", `${Math.floor(memory.heapTotal / MB)}MB`],
  ];
}

/** A value that may be unavailable (no passwd entry, sandboxed runtime): "<NA>" as ZooKeeper says. */
function safe(read: () => string): string {
  try {
    return read();
  } catch {
    return "<NA>";
  }
}

function fileDescriptors(): { open: number; max: number } | null {
  try {
    const open = readdirSync("/proc/self/fd").length;
    const limits = readFileSync("/proc/self/limits", "utf8");
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
    return { open, max: soft === undefined || soft === "unlimited" ? -1 : Number(soft) };
  } catch {
    return null;
  }
}

function storage(dirs: { dataDir: string; dataLogDir: string; inMemory: boolean }): HostStorage {
  const dataDir = resolve(dirs.dataDir);
  const dataLogDir = resolve(dirs.dataLogDir);
  if (dirs.inMemory) return { dataDir, dataLogDir, dataDirBytes: 0, dataLogDirBytes: 0 };
  return { dataDir, dataLogDir, dataDirBytes: filesBytes(dataDir), dataLogDirBytes: filesBytes(dataLogDir) };
}

/** Bytes of the regular files directly in `dir`, as ZooKeeper sums its snapshot and log dirs. */
function filesBytes(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir).slice(0, DIR_ENTRIES_MAX);
  } catch {
    return 0;
  }
  let bytes = 0;
  for (const name of names) {
    try {
      const stat = statSync(join(dir, name));
      if (stat.isFile()) bytes += stat.size;
    } catch {
      // Purged between the listing and the stat: it no longer counts.
    }
  }
  return bytes;
}
