"""
A 100,000-message folder: SELECT reads no message file (new/ and cur/
are listed, facteur-uidlist is written once), the first FETCH of sizes
and envelopes opens each message once, and a second session, which
finds it all in facteur-cache, opens none.  Counted with strace on the
session process.
"""
import os
import subprocess
import time

import facteur_harness as H
from imapd_fixtures import Raw, imap  # noqa: F401

N = 100000


def fill(fct, n):
    u = fct.user("alice")
    cur = os.path.join(u.home, "Maildir", "cur")
    body = b"".join(b"line %d of a message body\n" % i for i in range(20))
    for i in range(n):
        p = os.path.join(cur, "%d.M%dP1.big:2,S" % (1600000000 + i // 10, i))
        with open(p, "wb") as f:
            f.write(b"From: Someone <s@example.org>\nTo: alice@example.test"
                    b"\nSubject: message %d\n\n" % i + body)
        if H.IS_ROOT:
            os.chown(p, u.uid, u.gid)


def session_pid(imap):
    for m in imap.tls.pids():
        if not H.alive(m):
            continue
        for c in H.children(m):
            try:
                if os.path.basename(os.readlink("/proc/%d/exe" % c)) == \
                        "imapsession":
                    return c
            except OSError:
                pass
    raise AssertionError("no imapsession process")


def traced(strace, imap, out):
    """A logged-in client whose session is traced for openat into out."""
    r = Raw(imap.sport, tls=True, ca=imap.ca, timeout=600)
    untagged, tagged = r.login()
    assert tagged.startswith(b"L OK")
    pid = session_pid(imap)
    p = subprocess.Popen([strace, "-qq", "-e", "trace=openat,open",
                          "-o", out, "-p", str(pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def attached():
        with open("/proc/%d/status" % pid) as f:
            return any(ln.startswith("TracerPid:") and
                       ln.split()[1] != "0" for ln in f)
    H.wait_until(attached, 30, "strace to attach")
    return r, p


def message_opens(path):
    """How many times each message file was opened."""
    counts = {}
    with open(path) as f:
        for ln in f:
            if '"cur/' not in ln and '"new/' not in ln:
                continue
            name = ln.split('"')[1].split("/", 1)[1].split(":")[0]
            counts[name] = counts.get(name, 0) + 1
    return counts


def big_fetch(r, tag):
    """FETCH 1:* (RFC822.SIZE ENVELOPE), reading the response lines."""
    r.send(tag + b" FETCH 1:* (RFC822.SIZE ENVELOPE)\r\n")
    n = 0
    while True:
        ln = r.line()
        assert ln is not None
        if ln.startswith(tag + b" "):
            return n, ln
        n += 1


def test_hundred_thousand(fct, imap, strace):
    fill(fct, N)
    log = [os.path.join(fct.root, "strace%d" % k) for k in (1, 2)]

    r, p = traced(strace, imap, log[0])
    untagged, tagged = r.cmd("SELECT INBOX")
    assert b"* %d EXISTS" % N in untagged
    assert tagged == b"a OK [READ-WRITE] SELECT completed"
    time.sleep(0.5)
    assert message_opens(log[0]) == {}          # SELECT read no message
    n, tagged = big_fetch(r, b"f")
    assert (n, tagged) == (N, b"f OK FETCH completed")
    r.cmd("LOGOUT")
    p.wait(60)
    opens = message_opens(log[0])
    assert len(opens) == N and max(opens.values()) == 1

    r, p = traced(strace, imap, log[1])
    r.cmd("SELECT INBOX")
    n, tagged = big_fetch(r, b"g")
    assert (n, tagged) == (N, b"g OK FETCH completed")
    r.cmd("LOGOUT")
    p.wait(60)
    assert message_opens(log[1]) == {}
