"""
kill -9 at random under load (docs/queue.md, "Exactly once"): for
DURATION seconds ten SMTP clients (Python's smtplib) send messages (at
most MESSAGES) to the master's resident smtpd, and every KILL_EVERY
seconds one process other than the master is killed with SIGKILL, chosen
at random (a kind of process, then one of that kind) among all of them: the
resident and smtpsession, sessions, queue writers, AUTH children,
queued and its keeper, lspawn, delivery workers.  The master starts
again what it supervises; queued restarts lspawn.  A client treats
anything but 250 (a 4xx, a dropped connection) as an MTA does: it sends
the same message again, a moment later, until it gets 250.

Then, once everything is delivered:

  - lost: none.  Every message that got its 250 is in the Maildir.
  - delivered twice: none.  No queued message (one queue ID: the Maildir
    file is named from it) is in the Maildir twice, whatever was killed
    between the link into new/ and the record of it.
  - a message that the client sent again after a failure may be there
    twice, under two queue IDs: its first copy was committed but the 250
    never reached the client (SMTP's own duplicate, RFC 1047); that
    happens only for a message whose client saw a failure, and at most
    once per failure it saw.
"""
import os
import random
import re
import signal
import smtplib
import socket
import threading
import time

import pytest

import facteur_harness as H
from test_master import master_factory  # noqa: F401

D = H.DOMAIN
USERS = ("alice", "bob", "carol")
MESSAGES = 20000
CLIENTS = 10
DURATION = 12           # seconds of load and kills
KILL_EVERY = 0.1        # seconds between two kills
# the queue ID smtpd put in the Received field: one queued message
RECEIVED_ID = re.compile(rb"\bwith E?SMTP\w* id ([0-9A-Z]{14})")


def crlf(b):
    return b.replace(b"\n", b"\r\n")


def killable(master):
    """Every process under the master, the master excluded: one pass
    over /proc (H.descendants reads it once per process)."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = H.proc_stat(int(d))
            if st is not None:
                kids.setdefault(int(st[1]), []).append(int(d))
    out, todo = [], [master]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


class Load:
    def __init__(self, port, n):
        self.port = port
        self.todo = list(range(n))
        self.lock = threading.Lock()
        self.ok = {}            # tag -> (user, message)
        self.failures = {}      # tag -> failed attempts before the 250
        self.errors = []
        self.done = threading.Event()

    def take(self):
        with self.lock:
            if self.done.is_set() or not self.todo:
                return None
            return self.todo.pop()

    def send(self, i):
        user = USERS[i % 3]
        tag, msg = H.make_message(tag="kill-%d" % i,
                                  body=b"message %d\n" % i)
        deadline = time.monotonic() + 300
        fails = 0
        while time.monotonic() < deadline:
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as s:
                    s.sendmail("load@example.org", ["%s@%s" % (user, D)],
                               crlf(msg))
                with self.lock:
                    self.ok[tag] = (user, msg)
                    self.failures[tag] = fails
                return
            except smtplib.SMTPResponseException as e:
                if not 400 <= e.smtp_code < 500:
                    raise
            except smtplib.SMTPRecipientsRefused as e:
                codes = [c for c, _ in e.recipients.values()]
                if not all(400 <= c < 500 for c in codes):
                    raise
            except (smtplib.SMTPServerDisconnected, ConnectionError,
                    socket.timeout, OSError):
                pass
            fails += 1
            time.sleep(0.05)
        raise AssertionError("%s: no 250 in 300 s" % tag)

    def run(self):
        try:
            while (i := self.take()) is not None:
                self.send(i)
        except Exception as e:  # noqa: BLE001 - reported by the test
            with self.lock:
                self.errors.append(repr(e))


def maildir_ids(fct):
    """{queue ID: [(user, tag, file)]} over every file in the users' new/,
    the queue ID read from the message's Received field."""
    out = {}
    for u in USERS:
        for p in fct.maildir_files(u):
            with open(p, "rb") as f:
                data = f.read()
            m = RECEIVED_ID.search(data)
            assert m, "no queue ID in the Received field of %s" % p
            out.setdefault(m.group(1).decode(), []).append(
                (u, H.tag_of(data), os.path.basename(p)))
    return out


@pytest.mark.facteur(start=False)
def test_random_kill_9_under_load(fct, master_factory):
    m = master_factory(queue_scan_interval="1s", queue_retry_min="1s",
                       queue_retry_max="2s", max_sessions_per_client="200")
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    load = Load(m.port, MESSAGES)
    clients = [threading.Thread(target=load.run) for _ in range(CLIENTS)]
    for t in clients:
        t.start()
    kills = {}
    stop_at = time.monotonic() + DURATION
    while any(t.is_alive() for t in clients):
        time.sleep(KILL_EVERY)
        if time.monotonic() >= stop_at:
            # the clients finish the message they have, then stop
            load.done.set()
            continue
        # a kind of process first, then one of that kind: queued and
        # lspawn are killed as often as the many sessions and workers
        kinds = {}
        for p in killable(m.proc.pid):
            kinds.setdefault(H.proc_comm(p) or "?", []).append(p)
        if not kinds:
            continue
        name = rng.choice(sorted(kinds))
        victim = rng.choice(kinds[name])
        try:
            os.kill(victim, signal.SIGKILL)
            kills[name] = kills.get(name, 0) + 1
        except ProcessLookupError:
            pass
    for t in clients:
        t.join()
    assert not load.errors, load.errors[:5]
    assert len(load.ok) >= CLIENTS
    print("killed: %s" % ", ".join("%s %d" % kv for kv in sorted(
        kills.items())))

    want = {}
    for tag, (user, _) in load.ok.items():
        want[tag] = user

    def all_there():
        have = fct.count_tags(USERS)
        return all(have.get(t, 0) >= 1 for t in want)
    H.wait_until(all_there, 300, "every message that got 250",
                 interval=0.5)
    fct.assert_queue_empty(120)
    counts = fct.count_tags(USERS)
    lost = [t for t in want if counts.get(t, 0) == 0]
    assert not lost, "%d lost: %s" % (len(lost), lost[:10])
    ids = maildir_ids(fct)
    twice = {i: v for i, v in ids.items() if len(v) > 1}
    assert not twice, "queued messages delivered twice: %s" % (
        list(twice.items())[:10])
    # SMTP's own duplicates: only where the client saw a failure, at
    # most one per failure
    extra = {t: counts[t] - 1 for t in counts if counts[t] > 1}
    for t, n in extra.items():
        assert n <= load.failures.get(t, 0), \
            "%s delivered %d times, its client saw %d failure(s)" % (
                t, n + 1, load.failures.get(t, 0))
    assert set(counts) == set(want), "messages nobody sent: %s" % (
        set(counts) - set(want))
    print("%d messages, %d kills; client retries: %d; copies from a retry "
          "after a lost 250: %d" % (
              len(load.ok), sum(kills.values()), sum(load.failures.values()),
              sum(extra.values())))
