import { spawnSync } from "node:child_process";
import { chmodSync, writeFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { findExecutable } from "./which.ts";

/** A directory made read-only for the test, and how to undo it. */
export interface ReadOnlyDir {
  /** Puts the directory back as it was (idempotent). */
  restore(): void;
}

/**
 * Makes an existing directory refuse new files, even for root: chmod 0555 for an ordinary user;
 * for root (CI runs as root, whom permissions do not stop) the immutable attribute (chattr +i,
 * ext4/xfs/btrfs). Returns why it cannot when neither works, so the test can skip saying so.
 *
 * @example const ro = makeReadOnly(dir); if (typeof ro === "string") skip(ro); ... ro.restore();
 */
export function makeReadOnly(dir: string): ReadOnlyDir | string {
  const root = process.getuid?.() === 0;
  if (!root) {
    chmodSync(dir, 0o555);
    return proven(dir, { restore: () => chmodSync(dir, 0o755) });
  }
  const chattr = findExecutable("chattr", ["/usr/bin/chattr", "/bin/chattr"]);
  if (chattr === undefined) return "running as root and chattr is missing (apt-get install e2fsprogs)";
  const set = spawnSync(chattr, ["+i", dir], { encoding: "utf8" });
  if (set.status !== 0) return `running as root and chattr +i ${dir} failed: ${set.stderr.trim()}`;
  let restored = false;
  return proven(dir, {
    restore: () => {
      if (restored) return;
      restored = true;
      spawnSync(chattr, ["-i", dir]);
    },
  });
}

/** Checks that the directory really refuses a new file now. */
function proven(dir: string, handle: ReadOnlyDir): ReadOnlyDir | string {
  const probe = join(dir, ".read-only-check");
  try {
    writeFileSync(probe, "x");
    unlinkSync(probe);
    handle.restore();
    return `${dir} still takes new files after being made read-only`;
  } catch {
    return handle;
  }
}
