"""
A session's view of a folder kept in step by inotify's names alone
(imapd/store_sync.c): after every change, from another session or from
outside (a delivery, a flag renamed as mutt does, a file removed, moved
from new/ to cur/, a burst of deliveries past STORE_EVENTS_MAX), the
watching session's next command leaves it with exactly the messages and
flags a new session, which reads the directories, sees.
"""
import os
import random
import re

import pytest

from imapd_fixtures import client, imap, put_message  # noqa: F401

FLAG_LETTERS = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered",
                "S": "\\Seen", "T": "\\Deleted"}


def view(c):
    """{uid: frozenset(flags)} of c's session, \\Recent left out."""
    c.untagged_responses.pop("FETCH", None)     # NOOP's, kept by imaplib
    typ, data = c.uid("FETCH", "1:*", "(FLAGS)")
    assert typ == "OK", data
    out = {}
    for d in data:
        if d is None:
            continue
        m = re.match(rb"\d+ \(UID (\d+) FLAGS \(([^)]*)\)\)", d) or \
            re.match(rb"\d+ \(FLAGS \(([^)]*)\) UID (\d+)\)", d)
        assert m, d
        if m.re.pattern.startswith(rb"\d+ \(UID"):
            uid, flags = m.group(1), m.group(2)
        else:
            flags, uid = m.group(1), m.group(2)
        out[int(uid)] = frozenset(f for f in flags.decode().split()
                                  if f != "\\Recent")
    return out


def maildir_files(fct, sub):
    d = os.path.join(fct.user("alice").home, "Maildir", sub)
    return sorted(n for n in os.listdir(d) if not n.startswith("."))


def rename_flags(fct, name, rng):
    """What mutt does: the same file under other info letters."""
    cur = os.path.join(fct.user("alice").home, "Maildir", "cur")
    base, _, info = name.partition(":2,")
    letters = set(info) ^ {rng.choice("FRS")}
    new = base + ":2," + "".join(sorted(letters))
    os.rename(os.path.join(cur, name), os.path.join(cur, new))


@pytest.mark.parametrize("seed", [1, 2])
def test_watcher_keeps_up(fct, imap, seed):
    rng = random.Random(seed)
    for i in range(40):
        put_message(fct, "alice", b"Subject: m%d\n\nbody\n" % i,
                    sub=rng.choice(["cur", "new"]))
    a, b = client(imap), client(imap)
    assert a.select("INBOX")[0] == "OK"
    assert b.select("INBOX")[0] == "OK"
    b.create("Other")
    for step in range(60):
        op = rng.choice(["deliver", "deliver", "mutt", "unlink", "take",
                         "store", "expunge", "move", "append"])
        cur, new = maildir_files(fct, "cur"), maildir_files(fct, "new")
        if op == "deliver":
            put_message(fct, "alice", b"Subject: d%d\n\nx\n" % step)
        elif op == "mutt" and cur:
            rename_flags(fct, rng.choice(cur), rng)
        elif op == "unlink" and cur:
            os.unlink(os.path.join(fct.user("alice").home, "Maildir", "cur",
                                   rng.choice(cur)))
        elif op == "take" and new:
            md = os.path.join(fct.user("alice").home, "Maildir")
            x = rng.choice(new)
            os.rename(os.path.join(md, "new", x),
                      os.path.join(md, "cur", x + ":2,S"))
        elif op == "store":
            uids = sorted(view(b))
            if uids:
                b.uid("STORE", str(rng.choice(uids)),
                      rng.choice(["+FLAGS", "-FLAGS"]),
                      "(%s)" % rng.choice(["\\Seen", "\\Flagged", "$Work",
                                           "\\Answered"]))
        elif op == "expunge":
            uids = sorted(view(b))
            if uids:
                b.uid("STORE", str(rng.choice(uids)), "+FLAGS",
                      "(\\Deleted)")
                b.expunge()
        elif op == "move":
            uids = sorted(view(b))
            if uids:
                assert b.uid("MOVE", str(rng.choice(uids)), "Other")[0] \
                    == "OK"
        elif op == "append":
            b.append("INBOX", "(\\Seen)", None,
                     b"Subject: a%d\r\n\r\nappended\r\n" % step)
        if step == 30:
            # past STORE_EVENTS_MAX: the directories are read
            for i in range(600):
                put_message(fct, "alice", b"Subject: burst %d\n\nb\n" % i)
        a.noop()
        c = client_fresh(imap)
        want = view(c)
        c.logout()
        got = view(a)
        assert got == want, "step %d (%s): %r" % (
            step, op, sorted(set(got.items()) ^ set(want.items()))[:10])
    a.logout()
    b.logout()


def client_fresh(imap):
    c = client(imap)
    assert c.select("INBOX", readonly=True)[0] == "OK"
    return c


def test_concurrent_sessions_give_each_uid_once(fct, imap):
    """Four sessions APPEND to one folder at once while a fifth has it
    selected and mail is delivered to it: every message gets one UID,
    the UID each APPENDUID named is the one every session sees for that
    message, and the UIDs survive the sessions (facteur-uidlist is
    appended under the folder lock and read back by offset)."""
    import threading
    setup = client(imap)
    setup.create("Shared")
    setup.logout()
    watcher = client(imap)
    watcher.select("Shared")
    md = os.path.join(fct.user("alice").home, "Maildir", ".Shared")
    given = {}          # Message-ID -> UID from APPENDUID
    errors = []

    def appender(k):
        try:
            c = client(imap)
            for i in range(15):
                mid = "<a%d.%d@test>" % (k, i)
                typ, data = c.append(
                    "Shared", None, None,
                    ("Message-ID: %s\r\nSubject: s\r\n\r\nbody\r\n"
                     % mid).encode())
                m = re.match(rb"\[APPENDUID \d+ (\d+)\]", data[0])
                assert typ == "OK" and m, data
                given[mid] = int(m.group(1))
            c.logout()
        except Exception as e:      # noqa: BLE001 (reported below)
            errors.append(e)

    def deliverer():
        u = fct.user("alice")
        for i in range(20):
            name = "1700000000.M%dP%d.deliver" % (i, os.getpid())
            tmp = os.path.join(md, "tmp", name)
            with open(tmp, "wb") as f:
                f.write(b"Message-ID: <d%d@test>\nSubject: d\n\nx\n" % i)
            if os.geteuid() == 0:
                os.chown(tmp, u.uid, u.gid)
            os.rename(tmp, os.path.join(md, "new", name))

    threads = [threading.Thread(target=appender, args=(k,))
               for k in range(4)] + [threading.Thread(target=deliverer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(given.values())) == 60

    def uids_by_id(c):
        typ, data = c.uid("FETCH", "1:*",
                          "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        assert typ == "OK", data
        out = {}
        for d in data:
            if not isinstance(d, tuple):
                continue
            uid = int(re.search(rb"UID (\d+)", d[0]).group(1))
            mid = d[1].split(b":", 1)[1].strip().decode()
            assert mid not in out, mid
            out[mid] = uid
        return out
    watcher.noop()
    seen = uids_by_id(watcher)
    assert len(seen) == 80 and len(set(seen.values())) == 80
    for mid, uid in given.items():
        assert seen[mid] == uid, mid
    watcher.logout()
    # a new session, after all of them: the same UIDs
    c = client(imap)
    c.select("Shared", readonly=True)
    assert uids_by_id(c) == seen
    c.logout()
    assert len(os.listdir(os.path.join(md, "cur"))) + \
        len(os.listdir(os.path.join(md, "new"))) == 80
