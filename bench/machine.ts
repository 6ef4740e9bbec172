/** Facts about the machine a benchmark ran on, recorded with its results. */
import { execFileSync } from "node:child_process";
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { javaExecutable } from "../tests/support/servers.ts";

/** The machine and the runtimes the servers ran on. */
export interface MachineFacts {
  cpus: number;
  cpuModel: string;
  memoryMiB: number;
  node: string;
  java: string;
}

/**
 * The 1-minute load average: other work on this shared box shows up here, so every result row
 * records it.
 *
 * @example const before = loadAverage1m(); // e.g. 2.4
 */
export function loadAverage1m(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/**
 * CPUs, memory, Node's and Java's versions.
 *
 * @example const machine = machineFacts(); // { cpus: 2, node: "v20.20.0", java: "openjdk version ...", ... }
 */
export function machineFacts(): MachineFacts {
  let java = "?";
  const executable = javaExecutable();
  try {
    // `java -version` writes to stderr.
    if (executable) java = execFileSync("sh", ["-c", `"${executable}" -version 2>&1`], { encoding: "utf8" }).split("\n")[0] ?? "?";
  } catch {
    java = "?";
  }
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "?", memoryMiB: Math.round(totalmem() / 2 ** 20), node: process.version, java };
}

/**
 * fdatasync()s per second of a 100-byte append loop in a fresh directory under the OS temp dir
 * (where the servers' data dirs go): the disk's limit for one-at-a-time durable writes, and on
 * this shared box a measure of how busy the disk is right now.
 *
 * @example const fsyncs = rawFsyncsPerSecond(3); // e.g. 8973
 */
export function rawFsyncsPerSecond(seconds: number): number {
  const dir = mkdtempSync(join(tmpdir(), "paddock-fsync-"));
  const fd = openSync(join(dir, "fsync-probe"), "w");
  const record = new Uint8Array(100).fill(7);
  let count = 0;
  const end = performance.now() + seconds * 1000;
  try {
    // Bounded by the deadline.
    while (performance.now() < end) {
      writeSync(fd, record);
      fdatasyncSync(fd);
      count++;
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return count / seconds;
}
