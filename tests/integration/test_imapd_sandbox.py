"""
imapd's sandboxes (lib/sandbox; docs/architecture.md, "Sandboxes"): the
login process (role imap-login, with IMAPS and with STARTTLS, the TLS
context built inside it) and imapsession (imap-session, entered once the
Maildir is open) show Seccomp: 2 and NoNewPrivs: 1 while they serve a
client, and a forbidden call made by the process itself
(harness_syscall.py) kills that process with SIGSYS and nothing else:
the connection ends, another session goes on, no message is lost.  The
other imapd tests run with the default, enforce: every command works
inside the session's sandbox.

A charset whose conversion glibc would load as a module (dlopen: an
executable mapping) is unknown in the session's sandbox, and the session
lives: text in it matches no word (SEARCH converts what it can, and
compares a text it cannot as its bytes); with sandbox = off it is
converted.
"""
import ssl

import pytest

import facteur_harness as H
from imapd_fixtures import Raw, imap, put_message  # noqa: F401


@pytest.fixture
def inject():
    why = H.syscall_injection_supported()
    if why:
        pytest.skip(why)


def sandboxed(pid):
    assert H.proc_sandbox(pid) == (2, 1), \
        "pid %d (%s): Seccomp, NoNewPrivs = %r" % (
            pid, H.proc_comm(pid), H.proc_sandbox(pid))


def kill_with(fct, pid, call):
    fct.expect_crash(pid)
    st = H.make_syscall(pid, call)
    assert st is not None, "pid %d survived %s" % (pid, call)
    assert H.killed_by_sigsys(st), "pid %d: status %#x" % (pid, st)


def processes(server):
    """(monitor, its children) of the one live connection of server."""
    (monitor,) = [p for p in server.pids() if H.alive(p)]
    return monitor, H.children(monitor)


def starttls(imap):
    r = Raw(imap.port)
    assert r.cmd("STARTTLS")[1].startswith(b"a OK")
    r.s = ssl.create_default_context(cafile=imap.ca).wrap_socket(
        r.s, server_hostname="localhost")
    r.f = r.s.makefile("rb")
    return r


@pytest.mark.root_only
@pytest.mark.parametrize("tls", ["imaps", "starttls"])
def test_imap_login(fct, imap, tls, inject):
    """The login process is sandboxed before its first read; execve kills
    it, and a logged-in connection beside it goes on."""
    put_message(fct, "bob", b"Subject: b\n\nfor bob\n", sub="cur")
    if tls == "imaps":
        other = starttls(imap)
        c = Raw(imap.sport, tls=True, ca=imap.ca)
        server = imap.tls
    else:
        other = Raw(imap.sport, tls=True, ca=imap.ca)
        c = starttls(imap)
        server = imap.plain
    assert other.login("bob")[1].startswith(b"L OK")
    assert c.cmd("CAPABILITY")[1].startswith(b"a OK")
    monitor, (login,) = processes(server)
    sandboxed(login)
    fct.expect_crash(monitor)
    kill_with(fct, login, "execve")
    assert c.eof()
    assert other.cmd("SELECT INBOX")[1].startswith(b"a OK")
    untagged, tagged = other.cmd("FETCH 1 BODY[TEXT]", tag=b"f")
    assert tagged.startswith(b"f OK") and b"for bob" in b"\n".join(untagged)
    assert other.cmd("LOGOUT", tag=b"z")[1].startswith(b"z OK")
    d = Raw(imap.sport, tls=True, ca=imap.ca)
    assert d.login("bob")[1].startswith(b"L OK")
    assert d.cmd("LOGOUT", tag=b"z")[1].startswith(b"z OK")


@pytest.mark.root_only
@pytest.mark.parametrize("call", ["execve", "socket"])
def test_imap_session(fct, imap, call, inject):
    """imapsession is sandboxed, works inside it (SELECT, FETCH, STORE
    renames, APPEND writes, IDLE watches), and the call kills it; the
    Maildir is as the commands left it, and the next login sees it."""
    put_message(fct, "alice", b"Subject: one\n\nfirst\n", sub="cur")
    c = Raw(imap.sport, tls=True, ca=imap.ca)
    assert c.login("alice")[1].startswith(b"L OK")
    monitor, kids = processes(imap.tls)
    (session,) = [k for k in kids if H.proc_comm(k) == "imapsession"]
    sandboxed(session)
    assert c.cmd("SELECT INBOX")[1].startswith(b"a OK")
    assert c.cmd("STORE 1 +FLAGS (\\Flagged $Work)")[1].startswith(b"a OK")
    c.send(b"p APPEND INBOX {11+}\r\nSubject: 2\n\r\n")
    assert c.until(b"p")[1].startswith(b"p OK")
    c.send(b"i IDLE\r\n")
    assert c.line().startswith(b"+ ")
    c.send(b"DONE\r\n")
    assert c.until(b"i")[1].startswith(b"i OK")
    fct.expect_crash(monitor)
    kill_with(fct, session, call)
    assert c.eof()
    d = Raw(imap.sport, tls=True, ca=imap.ca)
    assert d.login("alice")[1].startswith(b"L OK")
    untagged, tagged = d.cmd("SELECT INBOX")
    assert b"* 2 EXISTS" in untagged
    untagged, tagged = d.cmd("FETCH 1 (FLAGS)")
    assert b"\\Flagged" in untagged[0] and b"$Work" in untagged[0]
    assert d.cmd("LOGOUT", tag=b"z")[1].startswith(b"z OK")


KOI8 = "привет".encode("koi8-r")


def koi8_message(fct):
    put_message(fct, "alice", b"Subject: ru\nMIME-Version: 1.0\n"
                b"Content-Type: text/plain; charset=koi8-r\n"
                b"Content-Transfer-Encoding: 8bit\n\n" + KOI8 + b"\n",
                sub="cur")


def search_koi8(imap):
    c = Raw(imap.sport, tls=True, ca=imap.ca)
    assert c.login("alice")[1].startswith(b"L OK")
    assert c.cmd("SELECT INBOX")[1].startswith(b"a OK")
    word = "привет".encode()
    r = c.cmd(b"SEARCH CHARSET UTF-8 BODY {%d+}\r\n" % len(word) + word)
    assert r[1].startswith(b"a OK"), r
    assert c.cmd("LOGOUT", tag=b"z")[1].startswith(b"z OK")
    return r[0]


def test_charset_module_in_the_sandbox(fct, imap):
    """In enforce, KOI8-R needs a gconv module: unknown (its text does
    not match the word), and the session lives."""
    koi8_message(fct)
    assert search_koi8(imap) == [b"* SEARCH"]


def test_charset_module_without_the_sandbox(fct, imap):
    """With sandbox = off, glibc loads the module and converts."""
    fct.write_conf(sandbox="off")
    koi8_message(fct)
    assert search_koi8(imap) == [b"* SEARCH 1"]
