"""A kazoo client with read_only=True, driven line by line on stdin (one answer line each):

  connect HOSTS          -> the state once connected
  wait STATE SECONDS     -> STATE, or "timeout <current state>"
  get PATH               -> the data, or "ERR <exception class>"
  set PATH DATA          -> "ok", or "ERR <exception class>"
  create PATH DATA       -> "ok", or "ERR <exception class>"
  session                -> the session id in hex
  quit
"""
import sys
import time

from kazoo.client import KazooClient

client = None


def state():
    return "NONE" if client is None else str(client.client_state)


def answer(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def guarded(call):
    try:
        return call()
    except Exception as error:  # the test wants the exception's class name
        return "ERR " + type(error).__name__


for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    command = words[0]
    if command == "connect":
        client = KazooClient(hosts=words[1], read_only=True, timeout=30.0,
                             connection_retry={"max_tries": -1, "delay": 0.2, "max_delay": 1},
                             command_retry={"max_tries": 0})
        client.start(timeout=30)
        answer(state())
    elif command == "wait":
        deadline = time.time() + float(words[2])
        while state() != words[1] and time.time() < deadline:
            time.sleep(0.05)
        answer(state() if state() == words[1] else "timeout " + state())
    elif command == "get":
        answer(guarded(lambda: client.get(words[1])[0].decode()))
    elif command == "set":
        answer(guarded(lambda: (client.set(words[1], words[2].encode()), "ok")[1]))
    elif command == "create":
        answer(guarded(lambda: (client.create(words[1], words[2].encode()), "ok")[1]))
    elif command == "session":
        answer(hex(client.client_id[0]))
    elif command == "quit":
        client.stop()
        client.close()
        answer("bye")
        break
