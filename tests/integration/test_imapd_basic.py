"""
imapd with Python's imaplib (and a raw client where the exact bytes
matter): the not-authenticated state (greeting, CAPABILITY, STARTTLS,
LOGINDISABLED, LOGIN, AUTHENTICATE PLAIN with SASL-IR), then SELECT,
FETCH, STORE, EXPUNGE, APPEND, COPY, MOVE and the mailbox commands, each
checked against what landed in the Maildir, byte for byte.
"""
import base64
import imaplib
import os
import re
import time

import pytest

import facteur_harness as H
from imapd_fixtures import (PASSWORD, Raw, client, imap,  # noqa: F401
                            put_message, wire)


def msg(subject, body=b"line one\nline two\n", extra=b""):
    return (b"From: Alice <alice@example.test>\nTo: bob@example.test\n"
            b"Subject: " + subject + b"\nDate: Tue, 1 Dec 2026 10:00:00 "
            b"+0100\nMessage-ID: <" + subject + b"@example.test>\n" + extra +
            b"\n" + body)


def files(fct, user="alice", sub="cur", folder=""):
    d = os.path.join(fct.user(user).home, "Maildir", folder, sub)
    return sorted(n for n in os.listdir(d) if not n.startswith("."))


def fetch_map(c, spec, items):
    """{seq: raw fetch line} of an imaplib FETCH."""
    typ, data = c.fetch(spec, items)
    assert typ == "OK", data
    return data


def test_greeting_and_capabilities(fct, imap):
    r = Raw(imap.port)
    assert r.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 IMAP4rev2 ")
    caps = r.greeting.split(b"]")[0].split()[2:]
    # No TLS yet: STARTTLS offered, logins disabled, no mechanism shown
    assert b"STARTTLS" in caps and b"LOGINDISABLED" in caps
    assert not [c for c in caps if c.startswith(b"AUTH=")]
    untagged, tagged = r.cmd("LOGIN alice " + PASSWORD)
    assert tagged.startswith(b"a NO [PRIVACYREQUIRED]"), tagged
    untagged, tagged = r.cmd("AUTHENTICATE PLAIN " + base64.b64encode(
        b"\0alice\0" + PASSWORD.encode()).decode())
    assert tagged.startswith(b"a NO [PRIVACYREQUIRED]"), tagged
    untagged, tagged = r.cmd("SELECT INBOX")
    assert tagged.startswith(b"a BAD"), tagged
    untagged, tagged = r.cmd("LOGOUT")
    assert untagged[0].startswith(b"* BYE") and tagged.startswith(b"a OK")
    assert r.eof()


def test_imaps_and_starttls_login(fct, imap):
    c = client(imap, tls=True, login=False)
    assert "AUTH=PLAIN" in c.capabilities
    assert "STARTTLS" not in c.capabilities
    c.login("alice", PASSWORD)
    typ, data = c.capability()
    caps = data[0].split()
    for cap in (b"IDLE", b"UIDPLUS", b"MOVE", b"NAMESPACE", b"ENABLE",
                b"SPECIAL-USE", b"LIST-EXTENDED", b"LIST-STATUS",
                b"ESEARCH", b"BINARY", b"SAVEDATE", b"STATUS=SIZE",
                b"CHILDREN", b"UNSELECT", b"UTF8=ACCEPT", b"LITERAL+"):
        assert cap in caps, cap
    c.logout()
    c = client(imap, tls=False, login=False)
    assert "AUTH=PLAIN" in c.capabilities
    c.login("alice", PASSWORD)
    c.logout()


def test_bad_password_and_authenticate(fct, imap):
    c = client(imap, login=False)
    try:
        c.login("alice", "wrong")
        assert False, "login with a wrong password"
    except imaplib.IMAP4.error as e:
        assert "AUTHENTICATIONFAILED" in str(e)
    c.logout()
    # SASL-IR: the credentials on the command line
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    ir = base64.b64encode(b"\0alice\0" + PASSWORD.encode()).decode()
    untagged, tagged = r.cmd("AUTHENTICATE PLAIN " + ir)
    assert tagged.startswith(b"a OK [CAPABILITY IMAP4rev1"), tagged
    untagged, tagged = r.cmd("NOOP", tag=b"b")
    assert tagged == b"b OK NOOP completed"
    r.close()
    # and without: a continuation, then the response; "*" cancels
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    r.send(b"a AUTHENTICATE PLAIN\r\n")
    assert r.line() == b"+ "
    r.send(b"*\r\n")
    assert r.line().startswith(b"a BAD")
    r.send(b"b AUTHENTICATE PLAIN\r\n")
    assert r.line() == b"+ "
    r.send(ir.encode() + b"\r\n")
    assert r.line().startswith(b"b OK [CAPABILITY")
    r.close()


def test_select_fetch_and_seen(fct, imap):
    m1, m2 = msg(b"one"), msg(b"two", body=b"no final newline")
    n1 = put_message(fct, "alice", m1)
    put_message(fct, "alice", m2)
    c = client(imap)
    typ, data = c.select("INBOX")
    assert data == [b"2"]
    uv = c.untagged_responses["UIDVALIDITY"][0]
    data = fetch_map(c, "1:*", "(UID FLAGS RFC822.SIZE)")
    assert data[0] == b"1 (UID 1 FLAGS (\\Recent) RFC822.SIZE %d)" % \
        len(wire(m1))
    assert data[1] == b"2 (UID 2 FLAGS (\\Recent) RFC822.SIZE %d)" % \
        len(wire(m2))
    # new/ was taken into cur/ with an empty info
    assert files(fct, sub="new") == []
    assert files(fct) == sorted([n1 + ":2,", files(fct)[1]])
    data = fetch_map(c, "1", "(BODY.PEEK[])")
    assert data[0][1] == wire(m1)
    assert files(fct)[0].endswith(":2,")        # PEEK: no \Seen
    data = fetch_map(c, "2", "(BODY[TEXT])")
    assert data[0][1] == b"no final newline\r\n"
    assert b"FLAGS (\\Seen" in data[1]
    assert [n for n in files(fct) if n.endswith(":2,S")]
    data = fetch_map(c, "1", "(BODY.PEEK[HEADER.FIELDS (Subject To)])")
    assert data[0][1] == b"To: bob@example.test\r\nSubject: one\r\n\r\n"
    data = fetch_map(c, "1", "(BODY.PEEK[]<5.10>)")
    assert data[0][0].endswith(b"BODY[]<5> {10}")
    assert data[0][1] == wire(m1)[5:15]
    data = fetch_map(c, "1", "(ENVELOPE)")
    assert b'"one" (("Alice" NIL "alice" "example.test"))' in data[0]
    c.close()
    c.logout()
    # A second session sees the same UIDs and UIDVALIDITY
    c = client(imap)
    c.select("INBOX")
    assert c.untagged_responses["UIDVALIDITY"][0] == uv
    assert fetch_map(c, "1:*", "(UID)") == [b"1 (UID 1)", b"2 (UID 2)"]
    assert "RECENT" not in c.untagged_responses or \
        c.untagged_responses["RECENT"] == [b"0"]
    c.logout()


def test_store_flags_and_keywords(fct, imap):
    put_message(fct, "alice", msg(b"one"))
    c = client(imap)
    c.select("INBOX")
    typ, data = c.store("1", "+FLAGS", "(\\Flagged \\Answered $Label1)")
    assert typ == "OK"
    assert data[0] == b"1 (FLAGS (\\Answered \\Flagged \\Recent $Label1))"
    (name,) = files(fct)
    assert name.endswith(":2,FRa"), name
    kw = os.path.join(fct.user("alice").home, "Maildir", "facteur-keywords")
    with open(kw, "rb") as f:
        assert f.read() == b"$Label1\0"
    typ, data = c.store("1", "-FLAGS.SILENT", "(\\Answered)")
    assert typ == "OK" and data == [None]
    assert files(fct)[0].endswith(":2,Fa")
    typ, data = c.store("1", "FLAGS", "(\\Seen)")
    assert files(fct)[0].endswith(":2,S")
    with pytest.raises(imaplib.IMAP4.error, match="Recent cannot be stored"):
        c.store("1", "+FLAGS", "(\\Recent)")
    c.logout()


def test_expunge_close(fct, imap):
    for i in range(4):
        put_message(fct, "alice", msg(b"m%d" % i))
    c = client(imap)
    c.select("INBOX")
    c.store("2,4", "+FLAGS", "(\\Deleted)")
    typ, data = c.expunge()
    assert typ == "OK" and data == [b"4", b"2"]
    assert len(files(fct)) == 2
    assert fetch_map(c, "1:*", "(UID)") == [b"1 (UID 1)", b"2 (UID 3)"]
    c.store("1", "+FLAGS", "(\\Deleted)")
    typ, data = c.uid("EXPUNGE", "3")    # UID EXPUNGE: only UID 3
    assert len(files(fct)) == 2
    c.close()                              # CLOSE expunges silently
    assert len(files(fct)) == 1
    c.logout()


def test_append(fct, imap):
    c = client(imap)
    m = b"Subject: appended\r\nFrom: x@y\r\n\r\nbody\r\nlast line\r\n"
    typ, data = c.append("INBOX", "(\\Seen \\Draft kw1)",
                         '"05-Jan-2026 10:20:30 +0000"', m)
    assert typ == "OK"
    mm = re.match(rb"\[APPENDUID (\d+) (\d+)\]", data[0])
    assert mm and mm.group(2) == b"1"
    (name,) = files(fct)
    assert re.search(r",S=\d+,W=\d+:2,DSa$", name), name
    path = os.path.join(fct.maildir("alice", "cur"), name)
    with open(path, "rb") as f:
        assert f.read() == m.replace(b"\r\n", b"\n")    # stored with LF
    assert int(os.stat(path).st_mtime) == 1767608430
    c.select("INBOX")
    data = fetch_map(c, "1", "(INTERNALDATE RFC822.SIZE BODY.PEEK[] "
                     "SAVEDATE)")
    assert b'INTERNALDATE "' in data[0][0]
    assert data[0][1] == m
    assert b"RFC822.SIZE %d" % len(m) in data[0][0]
    assert b"SAVEDATE \"" in data[1]
    # a mailbox that does not exist: TRYCREATE
    typ, data = c.append("Nowhere", None, None, m)
    assert typ == "NO" and b"TRYCREATE" in data[0]
    c.logout()


def test_copy_move(fct, imap):
    for i in range(3):
        put_message(fct, "alice", msg(b"m%d" % i))
    c = client(imap)
    assert c.create("Work")[0] == "OK"
    c.select("INBOX")
    c.store("1", "+FLAGS", "(\\Flagged)")
    typ, data = c.copy("1:2", "Work")
    assert typ == "OK" and b"[COPYUID " in data[0]
    assert len(files(fct, folder=".Work")) == 2
    assert len(files(fct)) == 3
    assert [n for n in files(fct, folder=".Work") if n.endswith(":2,F")]
    typ, data = c.uid("MOVE", "3", "Work")
    assert typ == "OK"
    assert len(files(fct)) == 2
    assert len(files(fct, folder=".Work")) == 3
    c.select("Work")
    assert fetch_map(c, "1:*", "(UID)") == [b"1 (UID 1)", b"2 (UID 2)",
                                            b"3 (UID 3)"]
    data = fetch_map(c, "3", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert data[0][1] == b"Subject: m2\r\n\r\n"
    typ, data = c.copy("1", "Missing")
    assert typ == "NO" and b"TRYCREATE" in data[0]
    c.logout()


def test_mailboxes(fct, imap):
    c = client(imap)
    typ, data = c.list()
    names = [d.split(b' "." ')[1] for d in data]
    # INBOX and the special-use folders made at login
    for n in (b'"INBOX"', b'"Sent"', b'"Drafts"', b'"Trash"', b'"Junk"',
              b'"Archive"'):
        assert n in names, names
    assert [d for d in data if b"\\Sent" in d and b'"Sent"' in d]
    assert c.create("Projects.2026")[0] == "OK"
    assert c.create("Caf&AOk-")[0] == "OK"        # "Café"
    md = os.path.join(fct.user("alice").home, "Maildir")
    assert os.path.isdir(os.path.join(md, ".Projects.2026", "cur"))
    assert os.path.isdir(os.path.join(md, ".Projects"))
    assert os.path.isdir(os.path.join(md, ".Caf&AOk-", "new"))
    assert os.path.exists(os.path.join(md, ".Caf&AOk-", "maildirfolder"))
    typ, data = c.list('""', "Projects.%")
    assert data == [b'(\\HasNoChildren) "." "Projects.2026"']
    typ, data = c.list('""', "Projects")
    assert data == [b'(\\HasChildren) "." "Projects"']
    assert c.create("Projects")[0] == "NO"
    assert c.rename("Projects", "Old")[0] == "OK"
    assert os.path.isdir(os.path.join(md, ".Old.2026"))
    assert not os.path.exists(os.path.join(md, ".Projects.2026"))
    assert c.subscribe("Old.2026")[0] == "OK"
    typ, data = c.lsub('""', "*")
    assert data == [b'() "." "Old.2026"']
    typ, data = c.list('""', "%")
    assert b'(\\HasChildren) "." "Old"' in data
    assert c.delete("Old.2026")[0] == "OK"
    assert not os.path.exists(os.path.join(md, ".Old.2026"))
    assert [n for n in os.listdir(md) if "deleted" in n] == []
    assert c.delete("INBOX")[0] == "NO"
    assert c.delete("Nothing")[0] == "NO"
    typ, data = c.status("INBOX", "(MESSAGES UIDNEXT UNSEEN SIZE DELETED)")
    assert typ == "OK"
    assert b"MESSAGES 0" in data[0] and b"UIDNEXT 1" in data[0]
    typ, data = c.namespace()
    assert data == [b'(("" ".")) NIL NIL']
    c.logout()


def test_rename_inbox(fct, imap):
    for i in range(2):
        put_message(fct, "alice", msg(b"m%d" % i))
    c = client(imap)
    assert c.rename("INBOX", "Saved")[0] == "OK"
    assert len(files(fct, folder=".Saved")) + \
        len(files(fct, sub="new", folder=".Saved")) == 2
    assert files(fct) == [] and files(fct, sub="new") == []
    c.select("Saved")
    assert len(fetch_map(c, "1:*", "(UID)")) == 2
    c.logout()


def test_search(fct, imap):
    put_message(fct, "alice", msg(b"hello there", body=b"about apples\n"))
    put_message(fct, "alice", msg(b"other", body=b"bananas\n"))
    put_message(fct, "alice", msg(b"=?utf-8?q?caf=C3=A9?=",
                                  body=b"coffee\n"))
    c = client(imap)
    c.select("INBOX")
    c.store("2", "+FLAGS", "(\\Seen)")

    def search(*keys):
        typ, data = c.uid("SEARCH", *keys)
        assert typ == "OK", data
        return data[0].split()
    assert search("SUBJECT", "hello") == [b"1"]
    assert search("BODY", "BANANAS") == [b"2"]
    assert search("TEXT", "apples") == [b"1"]
    c.literal = "café".encode()      # imaplib sends it as a literal
    assert search("CHARSET", "UTF-8", "SUBJECT") == [b"3"]
    assert search("SEEN") == [b"2"]
    assert search("UNSEEN") == [b"1", b"3"]
    assert search("OR", "SUBJECT", "other", "BODY", "coffee") == [b"2",
                                                                   b"3"]
    assert search("NOT", "SEEN", "SMALLER", "100000") == [b"1", b"3"]
    assert search("SENTON", "1-Dec-2026") == [b"1", b"2", b"3"]
    assert search("HEADER", "Message-ID", "other@") == [b"2"]
    assert search("UID", "2:*") == [b"2", b"3"]
    assert search("1,3") == [b"1", b"3"]
    typ, data = c.uid("SEARCH", "CHARSET", "KOI8-R", "ALL")
    assert typ == "NO" and b"BADCHARSET" in data[0]
    # ESEARCH, SEARCHRES
    typ, data = c.uid("SEARCH", "RETURN", "(MIN MAX COUNT)", "ALL")
    (es,) = c.untagged_responses.pop("ESEARCH")
    assert es.endswith(b"UID MIN 1 MAX 3 COUNT 3"), es
    typ, data = c.search(None, "RETURN", "(SAVE)", "UNSEEN")
    assert typ == "OK"
    data = fetch_map(c, "$", "(UID)")
    assert data == [b"1 (UID 1)", b"3 (UID 3)"]
    c.logout()


def test_enable_imap4rev2(fct, imap):
    put_message(fct, "alice", msg(b"one"))
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    r.login()
    untagged, tagged = r.cmd("ENABLE IMAP4rev2")
    assert untagged == [b"* ENABLED IMAP4rev2"]
    untagged, tagged = r.cmd("SELECT INBOX")
    assert tagged == b"a OK [READ-WRITE] SELECT completed"
    assert not [u for u in untagged if b"RECENT" in u]
    assert b'* LIST () "." "INBOX"' in untagged
    untagged, tagged = r.cmd("SEARCH ALL")
    assert untagged == [b'* ESEARCH (TAG "a") ALL 1']
    untagged, tagged = r.cmd("FETCH 1 FLAGS")
    assert untagged == [b"* 1 FETCH (FLAGS ())"]
    r.close()


def test_idle_sees_a_delivery(fct, imap):
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    r.login()
    r.cmd("SELECT INBOX")
    r.send(b"i IDLE\r\n")
    assert r.line() == b"+ idling"
    t0 = time.monotonic()
    put_message(fct, "alice", msg(b"while idle"))
    assert r.line() == b"* 1 EXISTS"
    assert time.monotonic() - t0 < 20
    r.send(b"DONE\r\n")
    lines = []
    while True:
        ln = r.line()
        if ln.startswith(b"i "):
            break
        lines.append(ln)
    assert ln == b"i OK IDLE terminated", (ln, lines)
    r.close()


def test_idle_sees_another_sessions_changes(fct, imap):
    """In IDLE, another session's flag change, expunge and new keyword
    come at once (inotify on cur/ and the keywords file), not at DONE."""
    for i in range(3):
        put_message(fct, "alice", msg(b"m%d" % i))
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    r.login()
    r.cmd("SELECT INBOX")
    r.send(b"i IDLE\r\n")
    assert r.line() == b"+ idling"
    c = client(imap)
    c.select("INBOX")
    c.store("2", "+FLAGS", "(\\Flagged)")
    assert r.line() == b"* 2 FETCH (FLAGS (\\Flagged \\Recent))"
    c.store("1", "+FLAGS", "(\\Deleted)")
    assert r.line() == b"* 1 FETCH (FLAGS (\\Deleted \\Recent))"
    c.expunge()
    assert r.line() == b"* 1 EXPUNGE"
    assert r.line() == b"* 2 RECENT"
    c.store("1", "+FLAGS", "(Later)")
    assert r.line() == b"* FLAGS (\\Answered \\Flagged \\Deleted " \
        b"\\Seen \\Draft Later)"
    assert r.line().startswith(b"* OK [PERMANENTFLAGS (")
    assert r.line() == b"* 1 FETCH (FLAGS (\\Flagged \\Recent Later))"
    c.logout()
    r.send(b"DONE\r\n")
    assert r.until(b"i") == ([], b"i OK IDLE terminated")
    r.close()


def test_two_sessions(fct, imap):
    put_message(fct, "alice", msg(b"first"))
    a, b = client(imap), client(imap)
    a.select("INBOX")
    b.select("INBOX")
    # a delivery between two commands: EXISTS at b's next command
    put_message(fct, "alice", msg(b"second"))
    b.untagged_responses.clear()
    typ, data = b.noop()
    assert b.untagged_responses.get("EXISTS") == [b"2"]
    # a flag change by a: FETCH FLAGS at b
    a.store("1", "+FLAGS", "(\\Flagged)")
    b.untagged_responses.clear()
    b.noop()
    assert any(b"FLAGS (\\Flagged" in x for x in
               b.untagged_responses.get("FETCH", [])), b.untagged_responses
    # an expunge by a: EXPUNGE at b, then the numbers move
    a.store("1", "+FLAGS", "(\\Deleted)")
    a.expunge()
    b.untagged_responses.clear()
    b.noop()
    assert b.untagged_responses.get("EXPUNGE") == [b"1"]
    assert fetch_map(b, "1:*", "(UID)") == [b"1 (UID 2)"]
    # and both see UIDs given once
    assert fetch_map(a, "1:*", "(UID)") == [b"1 (UID 2)"]
    a.logout()
    b.logout()


def test_pipelined_after_login(fct, imap):
    """Commands sent with LOGIN reach the session, in order."""
    put_message(fct, "alice", msg(b"one"))
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    r.send(b"L LOGIN alice " + PASSWORD.encode() + b"\r\n"
           b"a SELECT INBOX\r\nb FETCH 1 (UID)\r\nc LOGOUT\r\n")
    out = []
    while True:
        ln = r.line()
        if ln is None:
            break
        out.append(ln)
    tags = [ln.split()[0] for ln in out if not ln.startswith(b"*")]
    assert tags == [b"L", b"a", b"b", b"c"], out
    assert b"* 1 FETCH (UID 1)" in out


def test_large_append(fct, imap):
    """An APPEND literal over 64 kB goes through a spool file, both as a
    synchronizing literal and as a non-synchronizing one."""
    body = b"".join(b"line %06d of a large message\r\n" % i
                    for i in range(40000))
    m = b"Subject: large\r\n\r\n" + body
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    r.login()
    r.send(b"a APPEND INBOX {%d}\r\n" % len(m))
    assert r.line() == b"+ OK"
    r.send(m + b"\r\n")
    untagged, tagged = r.until(b"a")
    assert tagged.startswith(b"a OK [APPENDUID ")
    r.send(b"b APPEND INBOX (\\Seen) {%d+}\r\n" % len(m) + m + b"\r\n")
    untagged, tagged = r.until(b"b")
    assert tagged.startswith(b"b OK [APPENDUID ")
    stored = fct.messages("alice", "cur")
    assert stored == [m.replace(b"\r\n", b"\n")] * 2
    untagged, tagged = r.cmd("SELECT INBOX", tag=b"c")
    untagged, tagged = r.cmd("FETCH 2 (RFC822.SIZE)", tag=b"d")
    assert untagged == [b"* 2 FETCH (RFC822.SIZE %d)" % len(m)]
    untagged, tagged = r.cmd("STATUS INBOX (SIZE)", tag=b"e")
    assert untagged == [b'* STATUS "INBOX" (SIZE %d)' % (2 * len(m))]
    r.close()


def test_keywords_between_sessions(fct, imap):
    put_message(fct, "alice", msg(b"one"))
    a, b = client(imap), client(imap)
    a.select("INBOX")
    b.select("INBOX")
    a.store("1", "+FLAGS", "(Project-X)")
    b.untagged_responses.clear()
    b.noop()
    flags = b.untagged_responses.get("FLAGS", [])
    assert flags and b"Project-X" in flags[-1], b.untagged_responses
    assert any(b"FLAGS (\\Recent Project-X)" in x or
               b"Project-X" in x for x in b.untagged_responses["FETCH"])
    typ, data = b.fetch("1", "(FLAGS)")
    assert b"Project-X" in data[0]
    a.logout()
    b.logout()


def test_uidvalidity_of_a_new_folder(fct, imap):
    c = client(imap)
    c.create("Box")
    c.select("Box")
    v1 = c.untagged_responses["UIDVALIDITY"][0]
    c.close()
    c.delete("Box")
    c.create("Box")
    c.select("Box")
    v2 = c.untagged_responses["UIDVALIDITY"][-1]
    assert v1 != v2
    c.logout()
