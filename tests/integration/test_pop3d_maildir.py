"""
pop3d and the Maildir: a 10,000-message mailbox (STAT, LIST and UIDL
complete, sizes right, the size cache written and used), Dovecot's ,W=
sizes, UIDL stable across sessions and across flag changes by another
program (an IMAP server renaming cur/ files), messages delivered during
a session neither listed nor lost nor deleted, messages removed by
another program during a session.
"""
import os
import poplib
import random

from pop3d_fixtures import (PASSWORD, Raw, pop3, put_message,  # noqa: F401
                            wire)

import facteur_harness as H


def login(fct, pop3, user="alice"):
    fct.write_conf(pop3_plaintext_login="yes")
    p = poplib.POP3("127.0.0.1", pop3.port, timeout=120)
    p.user(user)
    r = p.pass_(PASSWORD)
    assert r.startswith(b"+OK"), r
    return p


def make_big_maildir(fct, n):
    """n messages written straight into cur/ (as a migration would)."""
    u = fct.user("alice")
    cur = fct.maildir("alice", "cur")
    rnd = random.Random(1)
    expect = {}
    for i in range(n):
        name = "%d.M%dP1Q%d.big.test" % (1600000000 + i, i, i)
        lines = rnd.randint(0, 30)
        data = b"Subject: %d\n\n" % i + b"".join(
            b"." * rnd.randint(0, 2) + b"x" * rnd.randint(0, 80) + b"\n"
            for _ in range(lines))
        if i % 7 == 0:
            data = data.replace(b"\n", b"\r\n")
        if i % 11 == 0:
            data = data.rstrip(b"\r\n")
        path = os.path.join(cur, name + ":2,S")
        with open(path, "wb") as f:
            f.write(data)
        if H.IS_ROOT:
            os.chown(path, u.uid, u.gid)
        expect[name] = len(wire(data))
    return expect


def check_listing(p, expect):
    count, size = p.stat()
    assert count == len(expect)
    assert size == sum(expect.values())
    _, lines, _ = p.list()
    sizes = [int(x.split()[1]) for x in lines]
    _, ulines, _ = p.uidl()
    uids = [x.split()[1].decode() for x in ulines]
    assert len(uids) == len(expect) == len(set(uids))
    assert {u: s for u, s in zip(uids, sizes)} == expect
    return uids


def test_ten_thousand_messages(fct, pop3):
    expect = make_big_maildir(fct, 10000)
    p = login(fct, pop3)
    uids = check_listing(p, expect)
    # arrival order: the leading seconds of the names
    assert uids == sorted(expect, key=lambda n: int(n.split(".")[0]))
    # a few RETRs agree with LIST
    for i in (1, 2, 7, 8, 5000, 9999, 10000):
        _, lines, _ = p.retr(i)
        assert len(b"\r\n".join(lines) + b"\r\n") == expect[uids[i - 1]] \
            or expect[uids[i - 1]] == 0
    p.quit()
    cache = os.path.join(fct.user("alice").home, "Maildir", "facteur-sizes")
    assert os.path.exists(cache)
    # second session: from the cache, same answers
    p = login(fct, pop3)
    assert check_listing(p, expect) == uids
    p.quit()


def test_corrupt_cache_is_ignored(fct, pop3):
    expect = make_big_maildir(fct, 50)
    cache = os.path.join(fct.user("alice").home, "Maildir", "facteur-sizes")
    with open(cache, "wb") as f:
        f.write(b"garbage\0not a number\0")
    p = login(fct, pop3)
    check_listing(p, expect)
    p.quit()


def test_dovecot_wire_size_in_name(fct, pop3):
    data = b"Subject: w\n\nbody\n"
    put_message(fct, "alice", data, sub="cur",
                name="1700000001.M1P1.host,S=%d,W=%d" % (len(data),
                                                         len(wire(data))))
    p = login(fct, pop3)
    assert p.stat() == (1, len(wire(data)))
    assert p.uidl(1).split()[2] == \
        ("1700000001.M1P1.host,S=%d,W=%d" % (len(data),
                                            len(wire(data)))).encode()
    p.quit()


def test_uidl_stable_across_sessions_and_flag_changes(fct, pop3):
    for i in range(5):
        put_message(fct, "alice", b"Subject: %d\n\nx\n" % i)
    p = login(fct, pop3)
    first = p.uidl()[1]
    p.quit()
    # another program (IMAP) changes flags: only the part after ':' moves
    cur = fct.maildir("alice", "cur")
    for n in os.listdir(cur):
        os.rename(os.path.join(cur, n), os.path.join(cur, n + "RS"))
    p = login(fct, pop3)
    assert p.uidl()[1] == first
    # and a rename during the session: RETR and DELE follow it
    n = sorted(os.listdir(cur))[0]
    os.rename(os.path.join(cur, n), os.path.join(cur, n.split(":")[0] +
                                                 ":2,T"))
    _, lines, _ = p.retr(1)
    assert lines[0] == b"Subject: 0"
    p.dele(1)
    p.quit()
    assert len(os.listdir(cur)) == 4


def test_delivery_during_session(fct, pop3):
    for i in range(3):
        put_message(fct, "alice", b"Subject: old %d\n\nx\n" % i)
    p = login(fct, pop3)
    assert p.stat()[0] == 3
    # delivered by the real chain while the session is open
    tag, msg = H.make_message(to="alice@facteur.test")
    r = fct.sendmail(["-f", "bob@facteur.test", "alice"], msg, user="bob")
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("alice", tag)
    # and one put straight into cur/ by another program
    late = put_message(fct, "alice", b"Subject: late\n\nx\n", sub="cur")
    assert p.stat()[0] == 3
    assert len(p.uidl()[1]) == 3
    for i in (1, 2, 3):
        p.dele(i)
    p.quit()
    new = fct.messages("alice", "new")
    assert len(new) == 1 and H.tag_of(new[0]) == tag
    assert os.listdir(fct.maildir("alice", "cur")) == [late]
    p = login(fct, pop3)
    assert p.stat()[0] == 2
    p.quit()


def test_removed_by_another_program(fct, pop3):
    for i in range(2):
        put_message(fct, "alice", b"Subject: %d\n\nx\n" % i)
    fct.write_conf(pop3_plaintext_login="yes")
    c = Raw(pop3.port)
    assert c.login("alice").startswith(b"+OK 2 ")
    cur = fct.maildir("alice", "cur")
    os.unlink(os.path.join(cur, sorted(os.listdir(cur))[0]))
    r = c.cmd("RETR 1")
    assert r.startswith(b"-ERR"), r
    assert c.cmd("DELE 1").startswith(b"+OK")
    assert c.cmd("DELE 2").startswith(b"+OK")
    assert c.cmd("QUIT").startswith(b"+OK")
    assert os.listdir(cur) == []
