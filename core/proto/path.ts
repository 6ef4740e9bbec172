/**
 * Znode path rules, as ZooKeeper enforces them: absolute, no trailing slash (but the root), no
 * empty, `.` or `..` segments, no NUL, no control characters or the char ranges ZooKeeper bans.
 * Returns the reason a path is invalid, or null when it is fine.
 */
export function pathProblem(path: string): string | null {
  if (path.length === 0) return "Path length must be > 0";
  if (path.charCodeAt(0) !== 0x2f) return "Path must start with / character";
  if (path.length === 1) return null;
  if (path.charCodeAt(path.length - 1) === 0x2f) return "Path must not end with / character";
  for (let i = 1; i < path.length; i++) {
    const problem = charProblem(path, i);
    if (problem !== null) return `Invalid path string "${path}" caused by ${problem} @${i}`;
  }
  return null;
}

function charProblem(path: string, i: number): string | null {
  const c = path.charCodeAt(i);
  const previous = path.charCodeAt(i - 1);
  if (c === 0) return "null character not allowed";
  if (c === 0x2f) return previous === 0x2f ? "empty node name specified" : null;
  if (c === 0x2e) return isDotSegment(path, i) ? "relative paths not allowed" : null;
  const banned =
    (c > 0x00 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0;
  return banned ? "invalid character" : null;
}

/** True when the `.` at i ends a segment that is exactly `.` or `..`. */
function isDotSegment(path: string, i: number): boolean {
  const segmentEnds = i + 1 === path.length || path.charCodeAt(i + 1) === 0x2f;
  if (!segmentEnds) return false;
  if (path.charCodeAt(i - 1) === 0x2f) return true;
  return path.charCodeAt(i - 1) === 0x2e && i >= 2 && path.charCodeAt(i - 2) === 0x2f;
}

/** The parent of a valid non-root path (`/a/b` -> `/a`, `/a` -> `/`). */
export function parentPath(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

/** The last segment of a valid non-root path (`/a/b` -> `b`). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
