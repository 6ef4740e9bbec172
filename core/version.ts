/** Paddock's own release (package.json's version). */
export const PADDOCK_RELEASE = "0.1.0";

/**
 * The version string ZooKeeper tools parse from `srvr`/`stat`/`mntr`/`envi` and zkCli's `version`:
 * the ZooKeeper release whose behaviour Paddock follows, then Paddock's own release.
 */
export const PADDOCK_VERSION = `3.9.3-paddock-${PADDOCK_RELEASE}, built on 2026-11-22 00:00 UTC`;
