"""
pop3d with Python's poplib and raw sessions: greeting, CAPA before and
after TLS, STLS, POP3S, USER/PASS and AUTH PLAIN/LOGIN, the whole of RFC
1939 (STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, QUIT), byte-exact
RETR of messages stored with LF or CRLF ends, dots and no final newline,
DELE effective only at QUIT, [IN-USE], [AUTH], -O.
"""
import base64
import os
import poplib
import subprocess

import pytest

import facteur_harness as H
import pop3d_fixtures as F
from pop3d_fixtures import (PASSWORD, Raw, pop3, put_message,  # noqa: F401
                            pop3_conf, wire)


def poplib_stls(pop3):
    p = poplib.POP3("127.0.0.1", pop3.port, timeout=60)
    p.stls(pop3.context())
    return p


MSG1 = (b"From: a@facteur.test\nSubject: one\n\nline 1\n.starts with dot\n"
        b"..two dots\n.\nend\n")
MSG2 = b"Subject: two\r\n\r\nalready CRLF\r\nlast line without newline"
MSG3 = b"Subject: three\n\n" + b"".join(b"body %d\n" % i for i in range(50))


def fill(fct):
    return [put_message(fct, "alice", m) for m in (MSG1, MSG2, MSG3)]


def test_greeting_and_capa_before_tls(fct, pop3):
    c = Raw(pop3.port)
    assert c.greeting.startswith(b"+OK")
    assert b"<" not in c.greeting          # no APOP timestamp
    c.send(b"CAPA\r\n")
    assert c.line().startswith(b"+OK")
    caps = c.multi()
    for cap in (b"TOP", b"UIDL", b"RESP-CODES", b"AUTH-RESP-CODE",
                b"PIPELINING", b"STLS"):
        assert cap in caps
    assert b"USER" not in caps             # no login before TLS
    assert not any(x.startswith(b"SASL") for x in caps)
    assert any(x.startswith(b"IMPLEMENTATION") for x in caps)
    r = c.cmd("USER alice")
    assert r.startswith(b"-ERR [AUTH]")
    r = c.cmd("AUTH PLAIN " + base64.b64encode(
        b"\0alice\0" + PASSWORD.encode()).decode())
    assert r.startswith(b"-ERR [AUTH]")
    assert c.cmd("QUIT").startswith(b"+OK")
    assert c.eof()


def test_poplib_stls_full_session(fct, pop3):
    fill(fct)
    p = poplib_stls(pop3)
    caps = p.capa()
    assert "USER" in caps and "SASL" in caps and "STLS" not in caps
    assert caps["SASL"] == ["PLAIN", "LOGIN"]
    p.user("alice")
    r = p.pass_(PASSWORD)
    assert r.startswith(b"+OK")
    count, size = p.stat()
    assert count == 3
    sizes = [len(wire(m)) for m in (MSG1, MSG2, MSG3)]
    assert size == sum(sizes)
    resp, lines, _ = p.list()
    assert [tuple(map(int, ln.split())) for ln in lines] == \
        [(1, sizes[0]), (2, sizes[1]), (3, sizes[2])]
    assert p.list(2).split()[2] == str(sizes[1]).encode()
    # RETR: poplib unstuffs the dots; lines joined with CRLF are the wire
    for i, m in enumerate((MSG1, MSG2, MSG3)):
        resp, lines, octets = p.retr(i + 1)
        assert b"\r\n".join(lines) + b"\r\n" == wire(m)
        assert resp == b"+OK %d octets" % sizes[i]
    resp, lines, _ = p.top(3, 2)
    assert lines == [b"Subject: three", b"", b"body 0", b"body 1"]
    resp, lines, _ = p.top(1, 0)
    assert lines == [b"From: a@facteur.test", b"Subject: one", b""]
    resp, uids, _ = p.uidl()
    names = sorted(os.listdir(fct.maildir("alice", "cur")))
    assert sorted(u.split()[1].decode() for u in uids) == \
        sorted(n.split(":")[0] for n in names)
    assert p.noop().startswith(b"+OK")
    p.dele(2)
    with pytest.raises(poplib.error_proto):
        p.retr(2)
    assert p.stat() == (2, sizes[0] + sizes[2])
    p.rset()
    assert p.stat()[0] == 3
    p.dele(1)
    assert len(fct.maildir_files("alice", "cur")) == 3   # not before QUIT
    p.quit()
    left = fct.messages("alice", "cur")
    assert sorted(left) == sorted([MSG2, MSG3])


def test_new_moved_to_cur_with_info(fct, pop3):
    name = put_message(fct, "alice", MSG1)
    p = poplib_stls(pop3)
    p.user("alice")
    p.pass_(PASSWORD)
    assert fct.maildir_files("alice", "new") == []
    assert os.listdir(fct.maildir("alice", "cur")) == [name + ":2,"]
    p.retr(1)
    p.quit()
    # pop3_mark_seen is off by default: the name did not change
    assert os.listdir(fct.maildir("alice", "cur")) == [name + ":2,"]


def test_mark_seen(fct, pop3):
    fct.write_conf(pop3_mark_seen="yes")
    name = put_message(fct, "alice", MSG1, sub="cur", info=":2,F")
    p = poplib_stls(pop3)
    p.user("alice")
    p.pass_(PASSWORD)
    uid_before = p.uidl(1)
    p.retr(1)
    assert p.uidl(1) == uid_before
    p.quit()
    assert os.listdir(fct.maildir("alice", "cur")) == [name + "S"]


def test_pop3s_poplib_and_auth_plain(fct, pop3):
    fill(fct)
    p = poplib.POP3_SSL("127.0.0.1", pop3.sport, context=pop3.context(),
                        timeout=60)
    assert p.getwelcome().startswith(b"+OK")
    assert "STLS" not in p.capa()
    tok = base64.b64encode(b"\0alice\0" + PASSWORD.encode()).decode()
    r = p._shortcmd("AUTH PLAIN " + tok)
    assert r.startswith(b"+OK")
    assert p.stat()[0] == 3
    p.quit()


def test_auth_plain_continuation_and_login(fct, pop3):
    fct.write_conf(pop3_plaintext_login="yes")
    c = Raw(pop3.port)
    assert c.cmd("AUTH PLAIN") == b"+ "
    r = c.cmd(base64.b64encode(b"\0alice\0" + PASSWORD.encode()).decode())
    assert r.startswith(b"+OK"), r
    assert c.cmd("QUIT").startswith(b"+OK")
    c = Raw(pop3.port)
    assert c.cmd("AUTH LOGIN").startswith(b"+ ")
    assert c.cmd(base64.b64encode(b"bob").decode()).startswith(b"+ ")
    r = c.cmd(base64.b64encode(PASSWORD.encode()).decode())
    assert r.startswith(b"+OK"), r
    c.cmd("QUIT")


def test_bad_password(fct, pop3):
    fct.write_conf(pop3_plaintext_login="yes")
    c = Raw(pop3.port)
    assert c.login("alice", "wrong").startswith(b"-ERR [AUTH]")
    assert c.login("nosuchuser", "wrong").startswith(b"-ERR [AUTH]")
    assert c.login("alice").startswith(b"+OK")
    c.cmd("QUIT")
    assert "wrong" not in fct.log()


def test_in_use(fct, pop3):
    fill(fct)
    fct.write_conf(pop3_plaintext_login="yes")
    a = Raw(pop3.port)
    assert a.login("alice").startswith(b"+OK")
    b = Raw(pop3.port)
    r = b.login("alice")
    assert r.startswith(b"-ERR [IN-USE]"), r
    b.close()
    assert a.cmd("DELE 1").startswith(b"+OK")
    assert a.cmd("QUIT").startswith(b"+OK")
    c = Raw(pop3.port)
    assert c.login("alice").startswith(b"+OK 2 messages")
    c.cmd("QUIT")


def test_dropped_connection_deletes_nothing(fct, pop3):
    fill(fct)
    fct.write_conf(pop3_plaintext_login="yes")
    c = Raw(pop3.port)
    assert c.login("alice").startswith(b"+OK")
    for i in (1, 2, 3):
        assert c.cmd("DELE %d" % i).startswith(b"+OK")
    c.close()
    H.wait_until(lambda: not pop3.plain.running(), 30, "pop3d to exit")
    assert len(fct.maildir_files("alice", "cur")) == 3
    c = Raw(pop3.port)
    assert c.login("alice").startswith(b"+OK 3 messages")
    c.cmd("QUIT")


def test_pipelining(fct, pop3):
    fill(fct)
    fct.write_conf(pop3_plaintext_login="yes")
    c = Raw(pop3.port)
    c.send(b"USER alice\r\nPASS " + PASSWORD.encode() +
           b"\r\nSTAT\r\nLIST 1\r\nNOOP\r\nQUIT\r\n")
    assert c.line().startswith(b"+OK")
    assert c.line().startswith(b"+OK 3 messages")
    assert c.line().startswith(b"+OK 3 ")
    assert c.line().startswith(b"+OK 1 ")
    assert c.line().startswith(b"+OK")
    assert c.line().startswith(b"+OK")
    assert c.eof()


def test_overloaded(fct, pop3):
    r = subprocess.run([fct.program("pop3d"), "-d", "-O", "-C",
                        fct.conf_path], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    assert r.stdout == b"-ERR [SYS/TEMP] busy, try later\r\n"
    assert r.returncode == 0


def test_large_message_byte_exact(fct, pop3, monkeypatch):
    body = b"".join(b"%06d " % i + b"x" * (i % 200) + b"\n"
                    for i in range(60000))
    body += b".\n..\n" + b"y" * 100000 + b"\n"
    put_message(fct, "alice", b"Subject: big\n\n" + body)
    p = poplib_stls(pop3)
    p.user("alice")
    p.pass_(PASSWORD)
    n, size = p.stat()
    data = wire(b"Subject: big\n\n" + body)
    assert size == len(data)
    monkeypatch.setattr(poplib, "_MAXLINE", 200000)
    resp, lines, _ = p.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == data
    p.quit()


def test_stls_discards_pipelined_plaintext(fct, pop3):
    import socket
    import ssl
    s = socket.create_connection(("127.0.0.1", pop3.port), timeout=60)
    f = s.makefile("rb")
    assert f.readline().startswith(b"+OK")
    # a command injected behind STLS must never run (CVE-2011-0411 class)
    s.sendall(b"STLS\r\nQUIT\r\n")
    assert f.readline().startswith(b"+OK")
    t = pop3.context().wrap_socket(s, server_hostname="localhost")
    tf = t.makefile("rb")
    t.sendall(b"CAPA\r\n")
    assert tf.readline().startswith(b"+OK Capability")
    caps = []
    while True:
        ln = tf.readline()
        if ln == b".\r\n":
            break
        caps.append(ln.strip())
    assert b"USER" in caps and b"STLS" not in caps
    t.sendall(b"QUIT\r\n")
    assert tf.readline().startswith(b"+OK")
    t.close()


def test_pop3s_overloaded(fct, pop3):
    srv = F.Pop3dServer(fct, ["-s", "-O"])
    try:
        with pytest.raises(poplib.error_proto) as e:
            poplib.POP3_SSL("127.0.0.1", srv.port, context=pop3.context(),
                            timeout=60)
        assert b"[SYS/TEMP]" in e.value.args[0]
    finally:
        srv.close()


@pytest.mark.facteur(make_maildirs=False)
def test_user_without_maildir_has_an_empty_mailbox(fct, pop3):
    """A user who never had mail logs in to an empty mailbox (the Maildir
    is created, owned by the user), as Dovecot does; not [SYS/TEMP]."""
    md = fct.maildir("alice", "")
    assert not os.path.exists(md)
    p = poplib_stls(pop3)
    p.user("alice")
    assert p.pass_(PASSWORD).startswith(b"+OK")
    assert p.stat() == (0, 0)
    p.quit()
    for sub in ("cur", "new", "tmp"):
        st = os.stat(os.path.join(md, sub))
        assert st.st_uid == fct.users["alice"].uid
