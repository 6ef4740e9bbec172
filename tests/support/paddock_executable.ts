import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./runtime.ts";

/** Where `npm run build` puts the executables. */
export const DIST_DIR = join(REPO_ROOT, "dist");
/** The compiled single executable (bun build --compile). */
export const EXECUTABLE_PATH = join(DIST_DIR, "paddock");
/** The Node bundle (esbuild). */
export const NODE_BUNDLE_PATH = join(DIST_DIR, "paddock.mjs");

/** A build that is ready, or why there is none (the caller skips with that reason). */
export type BuildResult = { path: string; built: boolean } | { skip: string };

const SOURCE_ROOTS = ["core", "recipes", "plugins", "mod.ts", "package.json"];
const FILES_MAX = 20_000;
const BUILD_TIMEOUT_MS = 180_000;

/**
 * The newest modification time of the sources the executable is built from, walked without
 * recursion and with a file limit.
 */
export function newestSourceMtimeMs(): number {
  let newest = 0;
  const stack = SOURCE_ROOTS.map((p) => join(REPO_ROOT, p));
  for (let seen = 0; stack.length > 0 && seen < FILES_MAX; seen++) {
    const path = stack.pop()!;
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) stack.push(join(path, name));
    } else if (stat.mtimeMs > newest) {
      newest = stat.mtimeMs;
    }
  }
  return newest;
}

function isFresh(path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat !== undefined && stat.mtimeMs > newestSourceMtimeMs();
}

function bunBinary(): string | null {
  const bun = join(REPO_ROOT, "node_modules", ".bin", "bun");
  const works = () => existsSync(bun) && spawnSync(bun, ["--version"], { stdio: "ignore", timeout: 30_000 }).status === 0;
  if (works()) return bun;
  // npm may have skipped bun's postinstall; its installer links the platform binary.
  const installer = join(REPO_ROOT, "node_modules", "bun", "install.js");
  if (existsSync(installer)) spawnSync("node", [installer], { cwd: REPO_ROOT, stdio: "ignore", timeout: 120_000 });
  return works() ? bun : null;
}

/**
 * Builds `dist/paddock` as `npm run build:exe` does, unless it is newer than every source file
 * (so the three runtimes of one test run build it once). The build goes to a temporary name
 * and is renamed into place, so a concurrent reader never sees half a file.
 *
 * @example const exe = ensureExecutable(); if ("skip" in exe) t.skip(exe.skip);
 */
export function ensureExecutable(): BuildResult {
  if (isFresh(EXECUTABLE_PATH)) return { path: EXECUTABLE_PATH, built: false };
  const bun = bunBinary();
  if (bun === null) return { skip: "bun is not available (node_modules/.bin/bun missing and its installer failed)" };
  mkdirSync(DIST_DIR, { recursive: true });
  const tmp = `${EXECUTABLE_PATH}.tmp-${process.pid}`;
  const args = ["build", "--compile", "--minify", "--bytecode", "--format=esm", "plugins/main.ts", "--outfile", tmp];
  const r = spawnSync(bun, args, { cwd: REPO_ROOT, encoding: "utf8", timeout: BUILD_TIMEOUT_MS });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`bun build --compile failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
  renameSync(tmp, EXECUTABLE_PATH);
  return { path: EXECUTABLE_PATH, built: true };
}

/**
 * Builds `dist/paddock.mjs` as `npm run build:node` does (esbuild, well under a second), unless fresh.
 *
 * @example const bundle = ensureNodeBundle(); // "/repo/dist/paddock.mjs"
 */
export function ensureNodeBundle(): string {
  if (isFresh(NODE_BUNDLE_PATH)) return NODE_BUNDLE_PATH;
  mkdirSync(DIST_DIR, { recursive: true });
  const esbuild = join(REPO_ROOT, "node_modules", ".bin", "esbuild");
  const tmp = `${NODE_BUNDLE_PATH}.tmp-${process.pid}.mjs`;
  const args = ["plugins/main.ts", "--bundle", "--minify", "--platform=node", "--format=esm", "--target=node20", "--log-level=warning", `--outfile=${tmp}`];
  const r = spawnSync(esbuild, args, { cwd: REPO_ROOT, encoding: "utf8", timeout: BUILD_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`esbuild failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  renameSync(tmp, NODE_BUNDLE_PATH);
  return NODE_BUNDLE_PATH;
}
