"""
smtpd under load and under kill -9: 50 parallel sessions of 20 messages
each, every message delivered exactly once; a session or monitor killed
in the middle of DATA never lets a partial message through.
"""
import os
import signal
import smtplib
import threading

import pytest

import facteur_harness as H
from smtpd_fixtures import Client, smtpd, split_delivered  # noqa: F401

D = H.DOMAIN
USERS = ("alice", "bob", "carol")


def crlf(b):
    return b.replace(b"\n", b"\r\n")


def test_50_sessions_20_messages(fct, smtpd):
    sessions, per = 50, 20
    sent = {}
    errors = []
    lock = threading.Lock()

    def run(n):
        try:
            with smtplib.SMTP("127.0.0.1", smtpd.port, timeout=300) as s:
                s.ehlo("load%d.test" % n)
                for i in range(per):
                    user = USERS[(n + i) % 3]
                    tag, msg = H.make_message(
                        tag="load-%d-%d" % (n, i),
                        body=b"session %d message %d\n" % (n, i))
                    s.sendmail("load@example.org", ["%s@%s" % (user, D)],
                               crlf(msg))
                    with lock:
                        sent[tag] = (user, msg)
        except Exception as e:  # noqa: BLE001 - reported below
            with lock:
                errors.append("session %d: %r" % (n, e))

    threads = [threading.Thread(target=run, args=(n,))
               for n in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors, errors[:5]
    assert len(sent) == sessions * per

    def all_there():
        return sum(len(fct.maildir_files(u)) for u in USERS) >= len(sent)
    H.wait_until(all_there, 600, "%d deliveries" % len(sent), interval=0.5)
    fct.assert_queue_empty(120)
    counts = fct.count_tags(USERS)
    assert set(counts) == set(sent)
    assert all(v == 1 for v in counts.values()), \
        [k for k, v in counts.items() if v != 1][:5]
    for u in USERS:
        for m in fct.messages(u):
            tag = H.tag_of(m)
            assert sent[tag][0] == u
            assert split_delivered(m)[3] == sent[tag][1]


def smtpd_tree(smtpd):
    """(monitor pid, session pid, enqueue pid or None) of the last
    connection."""
    mon = H.wait_until(lambda: smtpd.pids()[-1:] or None, 30, "smtpd")[0]

    def kids():
        k = H.children(mon)
        sess = [p for p in k if H.proc_comm(p) == "smtpd"]
        enq = [p for p in k if H.proc_comm(p) == "enqueue"]
        return (sess[0], enq[0]) if sess and enq else None
    sess, enq = H.wait_until(kids, 30, "session and enqueue")
    return mon, sess, enq


@pytest.mark.parametrize("victim", ["session", "monitor"])
def test_kill9_in_data_delivers_nothing(fct, smtpd, victim):
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<s@example.org>") == 250
    assert c.code("RCPT TO:<bob@%s>" % D) == 250
    assert c.code("DATA") == 354
    c.send(b"Subject: partial\r\nX-Facteur-Test: partial\r\n\r\n" +
           b"line of a message that never ends\r\n" * 3000)
    mon, sess, enq = smtpd_tree(smtpd)
    os.kill(sess if victim == "session" else mon, signal.SIGKILL)
    assert c.eof()
    # enqueue saw its input cut off and gave up
    H.wait_until(lambda: not H.alive(enq), 60, "enqueue to exit")
    c.close()
    # a complete message afterwards is delivered, and only it
    tag, msg = H.make_message()
    c2 = Client(smtpd.port)
    code, text = c2.mail("s@example.org", ["bob@" + D],
                         crlf(msg) + b".\r\n")
    assert code == 250, text
    c2.cmd("QUIT")
    fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()
    assert [H.tag_of(m) for m in fct.messages("bob")] == [tag]
    tmp = os.path.join(fct.queue, "tmp")
    msgs = os.path.join(fct.queue, "msg")
    assert not os.listdir(tmp) if os.path.isdir(tmp) else True
    assert not os.listdir(msgs) if os.path.isdir(msgs) else True
