import { pathProblem } from "../proto/mod.ts";

/** One server of a connect string. */
export interface HostPort {
  host: string;
  port: number;
}

/** A parsed connect string: the servers (in the order given) and the chroot ("" for none). */
export interface ConnectString {
  hosts: HostPort[];
  chroot: string;
}

const DEFAULT_PORT = 2181;
const HOSTS_MAX = 1024;

/**
 * Parses `host:port[,host:port...][/chroot]` as the Java client does. IPv6 hosts go in brackets
 * (`[::1]:2181`); a missing port means 2181; a chroot of `/` means none.
 *
 * @example parseConnectString("a:2181,b:2182/app") // { hosts: [a:2181, b:2182], chroot: "/app" }
 */
export function parseConnectString(connectString: string): ConnectString {
  const slash = connectString.indexOf("/");
  const hostList = slash === -1 ? connectString : connectString.slice(0, slash);
  let chroot = slash === -1 ? "" : connectString.slice(slash);
  if (chroot === "/") chroot = "";
  if (chroot !== "") {
    const problem = pathProblem(chroot);
    if (problem !== null) throw new TypeError(`bad chroot in connect string: ${problem}`);
  }
  const parts = hostList.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length === 0) throw new TypeError(`connect string has no host: ${JSON.stringify(connectString)}`);
  if (parts.length > HOSTS_MAX) throw new TypeError(`connect string has more than ${HOSTS_MAX} hosts`);
  return { hosts: parts.map(parseHostPort), chroot };
}

function parseHostPort(part: string): HostPort {
  const bracketed = part.startsWith("[") ? part.indexOf("]") : -1;
  const colon = bracketed >= 0 ? part.indexOf(":", bracketed) : part.lastIndexOf(":");
  const host = bracketed >= 0 ? part.slice(1, bracketed) : colon === -1 ? part : part.slice(0, colon);
  const port = colon === -1 ? DEFAULT_PORT : Number(part.slice(colon + 1));
  if (host === "" || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new TypeError(`bad host:port in connect string: ${JSON.stringify(part)}`);
  }
  return { host, port };
}

/**
 * A Fisher-Yates shuffle driven by an injected random source (so tests can fix the order).
 *
 * @example shuffled([1, 2, 3], Math.random)
 */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
