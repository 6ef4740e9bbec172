"""Drives kazoo (the Python ZooKeeper client) through a fixed scenario and prints one normalized
line per step, so the transcripts from Apache ZooKeeper and Paddock can be compared line by line.
Zxids print relative to the first one seen (z+3), session ids as S1/S2, times as T once checked
to be plausible. Usage: /usr/bin/python3 kazoo_probe.py host:port
"""

import logging
import queue
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.protocol.states import ZnodeStat
from kazoo.security import ACL, READ_ACL_UNSAFE, make_digest_acl

EVENT_WAIT_S = 5.0
QUIET_WAIT_S = 0.4
TIME_SLACK_MS = 10 * 60 * 1000


class Normalizer:
    """Turns run-specific values (zxids, session ids, times) into stable tokens."""

    def __init__(self):
        self.zxid_base = None
        self.sessions = {}

    def zxid(self, z):
        if z == 0:
            return "0"
        if self.zxid_base is None:
            self.zxid_base = z
        d = z - self.zxid_base
        return "z+%d" % d if d >= 0 else "z%d" % d

    @staticmethod
    def time(t):
        if t == 0:
            return "0"
        return "T" if abs(time.time() * 1000 - t) <= TIME_SLACK_MS else "T!implausible"

    def owner(self, o):
        if o == 0:
            return "0"
        return self.sessions.get(o, "0x%x" % o)

    def stat(self, s):
        return ("{czxid=%s mzxid=%s pzxid=%s ctime=%s mtime=%s version=%d cversion=%d aversion=%d "
                "ephemeralOwner=%s dataLength=%d numChildren=%d}") % (
            self.zxid(s.czxid), self.zxid(s.mzxid), self.zxid(s.pzxid), self.time(s.ctime),
            self.time(s.mtime), s.version, s.cversion, s.aversion, self.owner(s.ephemeralOwner),
            s.dataLength, s.numChildren)

    def show(self, v):
        if v is None or isinstance(v, (bool, int, str)):
            return repr(v) if isinstance(v, str) else str(v)
        if isinstance(v, bytes):
            return "b" + repr(v.decode("utf-8"))
        if isinstance(v, ZnodeStat):
            return self.stat(v)
        if isinstance(v, ACL):
            return "%s:%s:%d" % (v.id.scheme, v.id.id, v.perms)
        if isinstance(v, BaseException):
            return "ERR " + type(v).__name__
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(self.show(x) for x in v) + "]"
        return repr(v)


N = Normalizer()
EVENTS = queue.Queue()


def step(label, fn):
    try:
        result = N.show(fn())
    except KazooException as e:
        result = "ERR " + type(e).__name__
    except (ValueError, TypeError) as e:
        result = "EXC " + type(e).__name__
    print("%s -> %s" % (label, result), flush=True)


def expect_events(count):
    """Prints the next `count` watch callbacks, then any unexpected extra ones."""
    for _ in range(count):
        try:
            print("event " + EVENTS.get(timeout=EVENT_WAIT_S), flush=True)
        except queue.Empty:
            print("event none (timed out)", flush=True)
    while True:
        try:
            print("event (unexpected) " + EVENTS.get(timeout=QUIET_WAIT_S), flush=True)
        except queue.Empty:
            return


def connect(hosts, name):
    client = KazooClient(hosts=hosts, timeout=10.0)
    client.start(timeout=15)
    session_id, _password = client.client_id
    N.sessions[session_id] = name
    print("connect %s -> connected=%s" % (name, client.connected), flush=True)
    return client


def creates(c1):
    step("ensure_path /kz/a/b", lambda: c1.ensure_path("/kz/a/b"))
    step("exists /kz", lambda: c1.exists("/kz"))
    step("ensure_path again", lambda: c1.ensure_path("/kz/a/b"))
    step("create /kz/x", lambda: c1.create("/kz/x", b"x"))
    step("create /kz/x again", lambda: c1.create("/kz/x", b"y"))
    step("create no parent", lambda: c1.create("/kz/no/parent", b""))
    step("create makepath", lambda: c1.create("/kz/deep/er/node", b"d", makepath=True))
    step("create sequence", lambda: c1.create("/kz/seq-", b"", sequence=True))
    step("create sequence again", lambda: c1.create("/kz/seq-", b"", sequence=True))
    step("create ephemeral", lambda: c1.create("/kz/eph", b"e", ephemeral=True))
    step("create ephemeral sequence", lambda: c1.create("/kz/eseq-", b"", ephemeral=True, sequence=True))
    step("create include_data", lambda: c1.create("/kz/inc", b"inc", include_data=True))
    step("create child of ephemeral", lambda: c1.create("/kz/eph/child", b""))
    step("create bad path", lambda: c1.create("kz/relative", b""))


def reads(c1):
    step("get /kz/x", lambda: c1.get("/kz/x"))
    step("get missing", lambda: c1.get("/kz/missing"))
    step("set /kz/x v0", lambda: c1.set("/kz/x", b"x1", version=0))
    step("set /kz/x v0 again", lambda: c1.set("/kz/x", b"x2", version=0))
    step("set /kz/x any", lambda: c1.set("/kz/x", b"x2"))
    step("get_children /kz", lambda: sorted(c1.get_children("/kz")))
    step("get_children include_data /kz/deep", lambda: c1.get_children("/kz/deep", include_data=True))
    step("get_children missing", lambda: c1.get_children("/kz/missing"))
    step("exists missing", lambda: c1.exists("/kz/missing"))
    step("sync /kz", lambda: c1.sync("/kz"))


def data_watch(c1):
    def on_data(data, stat, event):
        EVENTS.put("data %s %s %s" % (N.show(data), N.show(stat), event.type if event else None))

    c1.DataWatch("/kz/dw", on_data)
    expect_events(1)
    step("create /kz/dw", lambda: c1.create("/kz/dw", b"1"))
    expect_events(1)
    step("set /kz/dw", lambda: c1.set("/kz/dw", b"2"))
    expect_events(1)
    step("delete /kz/dw", lambda: c1.delete("/kz/dw"))
    expect_events(1)


def children_watch(c1):
    c1.ensure_path("/kz/cw")

    def on_children(children, event):
        EVENTS.put("children %s %s" % (sorted(children), event.type if event else None))

    c1.ChildrenWatch("/kz/cw", on_children, send_event=True)
    expect_events(1)
    step("create /kz/cw/a", lambda: c1.create("/kz/cw/a", b""))
    expect_events(1)
    step("create /kz/cw/b", lambda: c1.create("/kz/cw/b", b""))
    expect_events(1)
    step("delete /kz/cw/a", lambda: c1.delete("/kz/cw/a"))
    expect_events(1)
    step("set /kz/cw (no child change)", lambda: c1.set("/kz/cw", b"z"))
    expect_events(0)


def one_shot_watches(c1):
    step("exists watch /kz/ow", lambda: c1.exists("/kz/ow", watch=lambda e: EVENTS.put("exists %s %s" % (e.type, e.path))))
    step("create /kz/ow", lambda: c1.create("/kz/ow", b""))
    expect_events(1)
    step("get_children watch /kz/ow", lambda: c1.get_children("/kz/ow", watch=lambda e: EVENTS.put("kids %s %s" % (e.type, e.path))))
    step("create /kz/ow/k", lambda: c1.create("/kz/ow/k", b""))
    expect_events(1)


def transactions(c1):
    def ok():
        t = c1.transaction()
        t.create("/kz/t1", b"t")
        t.set_data("/kz/t1", b"t2", version=0)
        t.check("/kz/t1", 1)
        t.create("/kz/t2", b"")
        t.delete("/kz/t2", version=0)
        return t.commit()

    def failing():
        t = c1.transaction()
        t.create("/kz/t3", b"")
        t.check("/kz/t1", 42)
        t.delete("/kz/t1")
        return t.commit()

    step("transaction ok", ok)
    step("transaction failing", failing)
    step("exists /kz/t3 after failed transaction", lambda: c1.exists("/kz/t3"))
    step("get /kz/t1", lambda: c1.get("/kz/t1"))


def locks(c1, c2):
    lock1 = c1.Lock("/kz/lock", "holder-1")
    lock2 = c2.Lock("/kz/lock", "holder-2")
    step("S1 lock acquire", lambda: lock1.acquire(timeout=10))
    step("S2 lock acquire non-blocking", lambda: lock2.acquire(blocking=False))
    step("contenders", lambda: lock1.contenders())
    acquired = threading.Event()

    def wait_for_lock():
        if lock2.acquire(timeout=10):
            acquired.set()

    waiter = threading.Thread(target=wait_for_lock, daemon=True)
    waiter.start()
    deadline = time.time() + EVENT_WAIT_S * 2
    while len(lock1.contenders()) < 2 and time.time() < deadline:
        time.sleep(0.05)  # S2 queues up behind S1 asynchronously
    step("contenders while S2 waits", lambda: lock1.contenders())
    step("S1 lock release", lambda: lock1.release())
    step("S2 got the lock", lambda: acquired.wait(EVENT_WAIT_S * 2))
    waiter.join(EVENT_WAIT_S)
    step("contenders after handover", lambda: lock1.contenders())
    step("S2 lock release", lambda: lock2.release())
    step("lock children after release", lambda: c1.get_children("/kz/lock"))


def acls(c1, c2):
    alice = make_digest_acl("alice", "secret", all=True)
    world_read = READ_ACL_UNSAFE[0]
    step("create /kz/acl digest", lambda: c1.create("/kz/acl", b"s", acl=[alice, world_read]))
    step("get_acls /kz/acl", lambda: c1.get_acls("/kz/acl"))
    step("S1 get without auth", lambda: c1.get("/kz/acl"))
    step("S2 set without auth", lambda: c2.set("/kz/acl", b"t"))
    step("S2 add_auth alice", lambda: c2.add_auth("digest", "alice:secret"))
    step("S2 set with auth", lambda: c2.set("/kz/acl", b"t"))
    step("S2 set_acls bad version", lambda: c2.set_acls("/kz/acl", [alice], version=5))
    step("S2 set_acls", lambda: c2.set_acls("/kz/acl", [alice], version=0))
    step("S1 get_acls after set_acls", lambda: c1.get_acls("/kz/acl"))
    step("S2 get_acls after set_acls", lambda: c2.get_acls("/kz/acl"))
    step("S2 delete /kz/acl", lambda: c2.delete("/kz/acl"))


def deletes(c1):
    step("delete non-empty", lambda: c1.delete("/kz/deep"))
    step("delete missing", lambda: c1.delete("/kz/missing"))
    step("delete bad version", lambda: c1.delete("/kz/inc", version=3))
    step("delete recursive /kz/deep", lambda: c1.delete("/kz/deep", recursive=True))
    step("exists /kz/deep", lambda: c1.exists("/kz/deep"))


def counter(c1):
    count = c1.Counter("/kz/counter")
    step("counter + 5", lambda: (count + 5).value)
    step("counter - 2", lambda: (count - 2).value)


def session_close(c1, c2):
    step("S2 create ephemeral", lambda: c2.create("/kz/eph2", b"", ephemeral=True))
    step("S1 sees it", lambda: c1.exists("/kz/eph2"))
    step("S2 stop", lambda: c2.stop())
    step("S1 exists after S2 stop", lambda: c1.exists("/kz/eph2"))
    step("get_children /kz final", lambda: sorted(c1.get_children("/kz")))
    step("stat /kz final", lambda: c1.exists("/kz"))


def bad_auth(hosts):
    """Last: ZooKeeper ends a session whose auth fails, so it gets a client of its own."""
    c3 = connect(hosts, "S3")
    try:
        step("S3 add_auth unknown scheme", lambda: c3.add_auth("nosuchscheme", "x"))
    finally:
        c3.stop()
        c3.close()


def main():
    logging.basicConfig(level=logging.CRITICAL)  # kazoo's reconnect chatter is not transcript
    hosts = sys.argv[1]
    c1 = connect(hosts, "S1")
    c2 = connect(hosts, "S2")
    try:
        creates(c1)
        reads(c1)
        data_watch(c1)
        children_watch(c1)
        one_shot_watches(c1)
        transactions(c1)
        locks(c1, c2)
        acls(c1, c2)
        deletes(c1)
        counter(c1)
        session_close(c1, c2)
        bad_auth(hosts)
    finally:
        c1.stop()
        c1.close()
        c2.stop()
        c2.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
