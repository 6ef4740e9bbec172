"""Reconfig requests a leader refuses, sent by kazoo to a 3-server cluster that kazoo's own test
harness starts (ZooKeeper, or Paddock members through the java shim next to this file); prints
one line per request with the error it got. tests/kazoo_suite.test.ts runs it on both and
compares the lines. No request here passes every check, so neither membership changes.
"""
import sys

from kazoo.client import KazooClient
from kazoo.testing.harness import get_global_cluster

# The harness gives its servers the superDigest of super:test.
SUPER = [("digest", "super:test")]
VALID_OBSERVER = "server.100=0.0.0.0:1:2:observer;0.0.0.0:3"

CASES = [
    ("no auth, valid observer", None, dict(joining=VALID_OBSERVER)),
    ("no auth, unreadable joiner", None, dict(joining="some thing")),
    ("super, unreadable joiner", SUPER, dict(joining="some thing")),
    ("super, stale config version", SUPER, dict(joining=VALID_OBSERVER, from_config=12345)),
    ("super, server id not a number", SUPER, dict(joining="server.x=0.0.0.0:1:2:observer;0.0.0.0:3")),
    ("super, joiner without client port", SUPER, dict(joining="server.100=0.0.0.0:1:2:observer")),
    ("super, joiner with two ports", SUPER, dict(joining="server.100=0.0.0.0:1;0.0.0.0:3")),
    ("super, leaving leaves one voter", SUPER, dict(leaving="2,3")),
    ("super, leaving id not a number", SUPER, dict(leaving="two")),
    ("super, new members unreadable", SUPER, dict(new_members="server.1=nonsense")),
    ("super, new members one voter", SUPER, dict(new_members="server.1=localhost:1:2:participant;3")),
]


def outcome(client, request):
    args = dict(joining=None, leaving=None, new_members=None)
    args.update(request)
    try:
        client.reconfig(**args)
        return "ok"
    except Exception as err:  # the error class is the result
        return "ERR " + type(err).__name__


def main():
    cluster = get_global_cluster()
    cluster.start()
    hosts = ",".join(s.address for s in cluster)
    clients = {}
    try:
        for name, auth, request in CASES:
            key = "super" if auth else "none"
            if key not in clients:
                clients[key] = KazooClient(hosts, auth_data=auth, timeout=15)
                clients[key].start(timeout=30)
            print("%s -> %s" % (name, outcome(clients[key], request)), flush=True)
    finally:
        for client in clients.values():
            client.stop()
            client.close()
        cluster.terminate()
    print("done", flush=True)


if __name__ == "__main__":
    sys.exit(main())
