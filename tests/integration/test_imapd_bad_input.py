"""
imapd against bad input: over-long lines, literals over the limits (a
synchronizing one refused before the client sends it, a
non-synchronizing one closing the connection), nesting too deep, too
many arguments, unbalanced parentheses, NUL bytes, bare LF, bad
modified UTF-7, mailbox names that would walk out of the Maildir, and
sequence sets out of range.  Each gets BAD, NO or BYE; the session
lives on where it can, and the Maildir is as it was.
"""
import os

import pytest

from imapd_fixtures import PASSWORD, Raw, imap, put_message  # noqa: F401


def session(imap):
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    untagged, tagged = r.login()
    assert tagged.startswith(b"L OK"), tagged
    return r


def contents(fct):
    """The messages of alice's INBOX, sorted (names change: new/ goes
    to cur/ at SELECT)."""
    return sorted(fct.messages("alice", "new") + fct.messages("alice", "cur"))


def alive(r, tag=b"z"):
    untagged, tagged = r.cmd("NOOP", tag=tag)
    return tagged == tag + b" OK NOOP completed"


def test_prelogin_limits(fct, imap):
    r = Raw(imap.port)
    # a synchronizing literal over the limit: no "+", a BAD
    r.send(b"a LOGIN {100000}\r\n")
    assert r.line() == b"a BAD [TOOBIG] literal too large"
    untagged, tagged = r.cmd("CAPABILITY", tag=b"b")
    assert tagged == b"b OK CAPABILITY completed"
    # a line over the limit: BYE
    r.send(b"c NOOP " + b"x" * 20000 + b"\r\n")
    assert r.line() == b"* BYE line too long"
    assert r.eof()


def test_line_and_literal_limits(fct, imap):
    put_message(fct, "alice", b"Subject: x\n\nbody\n")
    before = contents(fct)
    r = session(imap)
    r.cmd("SELECT INBOX")
    # SEARCH with a synchronizing literal over imap_literal_max
    r.send(b"a SEARCH SUBJECT {100000}\r\n")
    assert r.line() == b"a BAD [TOOBIG] literal too large"
    assert alive(r)
    # APPEND over imap_append_limit: NO [TOOBIG], before the data
    r.send(b"b APPEND INBOX {60000000}\r\n")
    assert r.line() == b"b NO [TOOBIG] literal too large"
    assert alive(r)
    # a literal that is fine goes through "+"
    r.send(b"c SEARCH SUBJECT {1}\r\n")
    assert r.line() == b"+ OK"
    r.send(b"x\r\n")
    untagged, tagged = r.until(b"c")
    assert untagged == [b"* SEARCH 1"] and tagged.startswith(b"c OK")
    # non-synchronizing over the limit: it cannot be refused unread
    r.send(b"d SEARCH SUBJECT {100000+}\r\n")
    assert r.line() == b"* BYE [TOOBIG] non-synchronizing literal too large"
    assert r.eof()
    r = session(imap)
    r.send(b"e NOOP " + b"x" * 70000 + b"\r\n")
    assert r.line() == b"* BYE line too long"
    assert r.eof()
    assert contents(fct) == before


@pytest.mark.facteur(conf={"imap_literal_plus": "no"})
def test_literal_minus(fct, imap):
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    assert b"LITERAL-" in r.greeting
    r.login()
    untagged, tagged = r.cmd("CAPABILITY")
    assert b" LITERAL- " in untagged[0]
    r.send(b"a SEARCH SUBJECT {4096+}\r\n" + b"x" * 4096 + b"\r\n")
    assert r.until(b"a")[1].startswith(b"a BAD")   # no such mailbox
    r.send(b"b SEARCH SUBJECT {4097+}\r\n")
    assert r.line().startswith(b"* BYE [TOOBIG]")
    assert r.eof()


@pytest.mark.facteur(conf={"imap_error_limit": "100"})
def test_grammar(fct, imap):
    for i in range(3):
        put_message(fct, "alice", b"Subject: m%d\n\nbody\n" % i)
    before = contents(fct)
    r = session(imap)
    r.cmd("SELECT INBOX")
    bad = [
        b"FETCH 1 " + b"(" * 17 + b"FLAGS" + b")" * 17,     # too deep
        b"FETCH 1 (FLAGS",                                  # unbalanced
        b"FETCH 1 FLAGS)",
        b"FETCH 1 (FLAGS))",
        b"FETCH 1  FLAGS",                                  # extra space
        b"FETCH 1 (FLAGS )",
        b"NOOP\x00",                                        # NUL
        b'SEARCH SUBJECT "a\x00b"',
        b"SEARCH " + b"ALL " * 9000 + b"ALL",               # too many
        b"FETCH 1:4294967295 FLAGS",                        # seq range
        b"FETCH 4294967296 FLAGS",
        b"FETCH 0 FLAGS",
        b"FETCH 01 FLAGS",
        b"FETCH 4 FLAGS",
        b"FETCH 1,,2 FLAGS",
        b"FETCH 1 BODY[HEADER",
        b"FETCH 1 BODY[1.0]",
        b"FETCH 1 BINARY[TEXT]",
        b"FOO",
        b'SEARCH SUBJECT "\xff\xfe"',                       # bad UTF-8
        b"SEARCH SINCE 31-Feb-2026",                        # no such day
        b"SEARCH ON 29-Feb-2100",
        b"SEARCH BEFORE 0-Jan-2026",
        b'APPEND INBOX "31-Apr-2026 10:00:00 +0000" {1+}\r\nx',
        b'APPEND INBOX "29-Feb-2026 10:00:00 +0000" {1+}\r\nx',
    ]
    for i, line in enumerate(bad):
        tag = b"t%d" % i
        untagged, tagged = r.cmd(line, tag=tag)
        assert tagged.startswith(tag + b" BAD"), (line[:60], tagged)
    # the days that are
    assert r.cmd("SEARCH ON 29-Feb-2028", tag=b"d")[1] == \
        b"d OK SEARCH completed"
    assert r.cmd("SEARCH SINCE 31-Dec-2026", tag=b"d")[1] == \
        b"d OK SEARCH completed"
    # NUL inside a literal
    r.send(b"n SEARCH SUBJECT {3}\r\n")
    assert r.line() == b"+ OK"
    r.send(b"a\x00b\r\n")
    assert r.until(b"n")[1] == b"n BAD NUL in literal"
    # a bare LF
    r.send(b"l NOOP\n")
    assert r.until(b"l")[1] == b"l BAD lines must end with CRLF"
    # a tag with "+" is no tag
    r.send(b"+x NOOP\r\n")
    assert r.line() == b"* BAD missing tag"
    # UID sets may name UIDs that do not exist
    untagged, tagged = r.cmd("UID FETCH 1:4294967295 (UID)", tag=b"u")
    assert tagged == b"u OK FETCH completed" and len(untagged) == 3
    assert alive(r)
    assert contents(fct) == before


def test_mailbox_names(fct, imap):
    r = session(imap)
    home = fct.user("alice").home
    md = os.path.join(home, "Maildir")
    before = set(os.listdir(home)), set(os.listdir(md))
    refused = [b'"a..b"', b'".hidden"', b'"a/b"',
               b'"../../etc"', b'"/etc"', b'".."', b'"a\\\\b"',
               b'"x%y"', b'"x*"', b'""']
    for i, name in enumerate(refused):
        for verb in (b"CREATE", b"SELECT", b"RENAME INBOX", b"DELETE"):
            tag = b"n%d" % i
            untagged, tagged = r.cmd(verb + b" " + name, tag=tag)
            assert tagged.startswith(tag + b" NO") or \
                tagged.startswith(tag + b" BAD"), (verb, name, tagged)
    # modified UTF-7 that is not
    for i, name in enumerate([b"&Jjo", b"&AGE-", b"&-&", b"&Jjo-&ZeU-",
                              b"\xc3\xa9t\xc3\xa9"]):
        tag = b"u%d" % i
        untagged, tagged = r.cmd(b"CREATE " + name, tag=tag)
        assert tagged.startswith(tag + b" BAD"), (name, tagged)
    assert (set(os.listdir(home)), set(os.listdir(md))) == before
    # "name." asks for a mailbox that will hold others: it is "name"
    untagged, tagged = r.cmd(b'CREATE "parent."', tag=b"p")
    assert tagged == b"p OK CREATE completed"
    assert os.path.isdir(os.path.join(md, ".parent"))
    # the same bytes are a fine UTF-8 name once enabled
    r.cmd("ENABLE UTF8=ACCEPT", tag=b"e")
    untagged, tagged = r.cmd(b'CREATE "\xc3\xa9t\xc3\xa9"', tag=b"c")
    assert tagged == b"c OK CREATE completed"
    assert os.path.isdir(os.path.join(md, ".&AOk-t&AOk-"))
    untagged, tagged = r.cmd(b'LIST "" "\xc3\xa9t%"', tag=b"d")
    assert untagged == [b'* LIST (\\HasNoChildren) "." "\xc3\xa9t\xc3\xa9"']


def test_error_limit(fct, imap):
    r = session(imap)
    for i in range(19):
        untagged, tagged = r.cmd("BOGUS", tag=b"b%d" % i)
        assert tagged.startswith(b"b%d BAD" % i)
    r.send(b"x BOGUS\r\n")
    assert r.line() == b"x BAD unknown command"
    assert r.line() == b"* BYE too many errors"
    assert r.eof()


def test_pipelined_garbage(fct, imap):
    put_message(fct, "alice", b"Subject: keep\n\nbody\n")
    before = contents(fct)
    r = session(imap)
    junk = b"".join([b"\x00\xff(((\r\n", b"a FETCH\r\n", b")\r\n",
                     b"b {5}\r\n", b"\r\n" * 5, b"c UID\r\n"] * 4)
    r.send(junk)
    lines = []
    while True:
        ln = r.line()
        if ln is None or ln.startswith(b"* BYE"):
            break
        lines.append(ln)
    assert ln == b"* BYE too many errors", lines
    assert contents(fct) == before


def test_slow_client_before_login(fct, imap):
    """A byte now and then does not keep a connection that has not
    logged in: it has login_timeout in all, whatever it sends."""
    import select
    import time
    fct.write_conf(login_timeout="2s")
    r = Raw(imap.port)
    t0 = time.monotonic()
    bye = None
    for ch in b"a NOOP and more and more and more":
        if select.select([r.s], [], [], 0.5)[0]:
            bye = time.monotonic() - t0
            break
        try:
            r.send(bytes([ch]))
        except OSError:
            break
    assert bye is not None, "no reply while the client dripped"
    assert r.line() == b"* BYE login time limit exceeded"
    assert 1.5 < bye < 6, bye
    assert r.eof()
