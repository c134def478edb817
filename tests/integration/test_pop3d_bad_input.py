"""
pop3d against bad input: over-long lines, NUL, unknown commands, commands
in the wrong state, bad message numbers, DELE twice, negative TOP counts,
malformed AUTH base64, the error limit, a malformed frame from the login
process; each a clear -ERR, and nothing deleted.
"""
import pytest

from pop3d_fixtures import PASSWORD, Raw, pop3, put_message  # noqa: F401


@pytest.fixture
def session(fct, pop3):
    fct.write_conf(pop3_plaintext_login="yes", pop3_error_limit="100")
    for i in range(3):
        put_message(fct, "alice", b"Subject: %d\n\nbody\n" % i)
    c = Raw(pop3.port)
    assert c.login("alice").startswith(b"+OK 3 messages")
    yield c
    c.close()


def quit_and_count(fct, c, expect=3):
    assert c.cmd("QUIT").startswith(b"+OK")
    assert len(fct.maildir_files("alice", "cur")) == expect


def test_long_line_in_authorization(fct, pop3):
    c = Raw(pop3.port)
    r = c.cmd("USER " + "a" * 300)
    assert r.startswith(b"-ERR") and b"too long" in r
    assert c.cmd("CAPA").startswith(b"+OK")    # still in step
    c.multi()
    c.cmd("QUIT")


def test_long_line_in_transaction(fct, session):
    r = session.cmd("LIST " + "1" * 1000)
    assert r.startswith(b"-ERR") and b"255" in r
    assert session.cmd("STAT").startswith(b"+OK 3 ")
    quit_and_count(fct, session)


def test_nul_and_unknown(fct, session):
    assert session.cmd(b"ST\0T").startswith(b"-ERR")
    assert session.cmd(b"STAT\0").startswith(b"-ERR")
    assert session.cmd("FROB").startswith(b"-ERR unknown")
    assert session.cmd("APOP alice 0123").startswith(b"-ERR")
    assert session.cmd("").startswith(b"-ERR")
    quit_and_count(fct, session)


def test_message_numbers(fct, session):
    for bad in ("RETR 0", "RETR 99999", "RETR 4", "RETR -1", "RETR x",
                "RETR", "RETR 1 2", "LIST 0", "LIST 99999999999",
                "UIDL 4", "DELE 0", "TOP 1 -1", "TOP 1", "TOP 0 1",
                "TOP 1 x", "RETR  1", "STAT 1"):
        r = session.cmd(bad)
        assert r.startswith(b"-ERR"), (bad, r)
    assert session.cmd("DELE 2").startswith(b"+OK")
    r = session.cmd("DELE 2")
    assert r.startswith(b"-ERR") and b"already deleted" in r
    assert session.cmd("RETR 2").startswith(b"-ERR")
    assert session.cmd("LIST 2").startswith(b"-ERR")
    assert session.cmd("RSET").startswith(b"+OK 3 ")
    quit_and_count(fct, session)


def test_wrong_state(fct, pop3):
    fct.write_conf(pop3_plaintext_login="yes")
    put_message(fct, "alice", b"Subject: x\n\nbody\n")
    c = Raw(pop3.port)
    for cmd in ("STAT", "LIST", "RETR 1", "DELE 1", "UIDL", "TOP 1 1",
                "RSET", "NOOP", "PASS x"):
        r = c.cmd(cmd)
        assert r.startswith(b"-ERR"), (cmd, r)
    assert c.login("alice").startswith(b"+OK")
    for cmd in ("USER alice", "PASS x", "STLS", "AUTH PLAIN"):
        r = c.cmd(cmd)
        assert r.startswith(b"-ERR") and b"state" in r, (cmd, r)
    c.cmd("QUIT")
    assert len(fct.maildir_files("alice", "cur")) == 1


def test_auth_malformed(fct, pop3):
    fct.write_conf(pop3_plaintext_login="yes")
    c = Raw(pop3.port)
    assert c.cmd("AUTH PLAIN !!!!").startswith(b"-ERR")
    assert c.cmd("AUTH PLAIN") == b"+ "
    assert c.cmd("not base64 at all").startswith(b"-ERR")
    assert c.cmd("AUTH PLAIN") == b"+ "
    assert c.cmd("*").startswith(b"-ERR")
    assert c.cmd("AUTH CRAM-MD5").startswith(b"-ERR")
    assert c.cmd("AUTH PLAIN AGFsaWNl").startswith(b"-ERR")   # no password
    assert c.login("alice").startswith(b"+OK")
    c.cmd("QUIT")


def test_error_limit(fct, pop3):
    fct.write_conf(pop3_error_limit="3")
    c = Raw(pop3.port)
    c.cmd("A")
    c.cmd("B")
    r = c.cmd("C")
    assert r.startswith(b"-ERR")
    assert c.line().startswith(b"-ERR too many errors")
    assert c.eof()


def test_too_many_failed_logins(fct, pop3):
    fct.write_conf(pop3_plaintext_login="yes", auth_fail_limit="2",
                   auth_fail_delay_max="0")
    c = Raw(pop3.port)
    assert c.login("alice", "bad1").startswith(b"-ERR [AUTH]")
    r = c.login("alice", "bad2")
    assert r.startswith(b"-ERR [AUTH]") and b"closing" in r
    assert c.eof()
