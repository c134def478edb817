"""
The parts of RFC 3501, RFC 9051 and their extensions that the other
files do not drive on the wire, each checked byte for byte: ID before and
after login, CHECK, UNSELECT, EXAMINE, the FETCH macros, BODYSTRUCTURE
and BINARY of a multipart, decoded text SEARCH (quoted-printable and
base64 bodies in other charsets, RFC 2047 words), LIST-EXTENDED selection
and return options, LIST-STATUS, SUBSCRIBE, LSUB.
"""
import os

from imapd_fixtures import Raw, imap, put_message  # noqa: F401

MULTI = (b"From: Alice <alice@example.test>\nTo: bob@example.test\n"
         b"Subject: =?utf-8?q?caf=C3=A9?= =?iso-8859-1?b?6XTp?=\n"
         b"Date: Tue, 1 Dec 2026 10:00:00 +0100\nMIME-Version: 1.0\n"
         b"Content-Type: multipart/mixed; boundary=XX\n\n"
         b"--XX\nContent-Type: text/plain; charset=iso-8859-1\n"
         b"Content-Transfer-Encoding: quoted-printable\n\nd=E9j=E0 vu\n"
         b"--XX\nContent-Type: text/plain; charset=utf-8\n"
         b"Content-Transfer-Encoding: base64\n\nw7xiZXJyYXNjaHVuZw==\n"
         b"--XX\nContent-Type: application/octet-stream\n"
         b"Content-Transfer-Encoding: x-uuencode\n\nbegin\n--XX--\n")


def session(imap):
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    untagged, tagged = r.login()
    assert tagged.startswith(b"L OK"), tagged
    return r


def ok(r, line, tag=b"a"):
    untagged, tagged = r.cmd(line, tag=tag)
    assert tagged.startswith(tag + b" OK"), (line, tagged)
    return untagged


def test_id_check_unselect_examine(fct, imap):
    put_message(fct, "alice", b"Subject: one\n\nbody\n")
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    # ID before login (the login process) and after (the session)
    assert ok(r, 'ID ("name" "a client" "version" "1")') == \
        [b'* ID ("name" "facteur")']
    r.login()
    assert ok(r, "ID NIL") == [b'* ID ("name" "facteur")']
    untagged, tagged = r.cmd("CHECK")
    assert tagged.startswith(b"a BAD"), tagged      # nothing selected
    untagged, tagged = r.cmd("UNSELECT")
    assert tagged.startswith(b"a BAD"), tagged
    ok(r, "SELECT INBOX")
    assert r.cmd("CHECK") == ([], b"a OK CHECK completed")
    ok(r, "STORE 1 +FLAGS.SILENT (\\Deleted)")
    # UNSELECT leaves the \Deleted message where CLOSE would expunge it
    assert r.cmd("UNSELECT") == ([], b"a OK UNSELECT completed")
    untagged, tagged = r.cmd("FETCH 1 FLAGS")
    assert tagged.startswith(b"a BAD"), tagged
    assert len(fct.messages("alice", "cur")) == 1
    untagged = ok(r, "EXAMINE INBOX")
    assert b"* OK [PERMANENTFLAGS ()] Flags permitted" in untagged
    assert r.cmd("STORE 1 -FLAGS (\\Deleted)") == \
        ([], b"a NO [READ-ONLY] the mailbox is read-only")
    # EXAMINE's FETCH of a body does not set \Seen
    untagged = ok(r, "FETCH 1 (BODY[TEXT])")
    assert untagged[0] == b"* 1 FETCH (BODY[TEXT] {6}"
    assert ok(r, "CLOSE") == []                  # read-only: no expunge
    assert len(fct.messages("alice", "cur")) == 1
    (name,) = os.listdir(fct.maildir("alice", "cur"))
    assert name.endswith(":2,T"), name
    r.close()


def test_fetch_macros_bodystructure_binary(fct, imap):
    put_message(fct, "alice", MULTI)
    r = session(imap)
    ok(r, "SELECT INBOX")
    fast = ok(r, "FETCH 1 FAST")
    assert fast[0].startswith(b'* 1 FETCH (FLAGS (\\Recent) INTERNALDATE "')
    assert fast[0].endswith(b'" RFC822.SIZE %d)' % (len(MULTI) +
                                                     MULTI.count(b"\n")))
    full = ok(r, "FETCH 1 FULL")[0]
    all_ = ok(r, "FETCH 1 ALL")[0]
    env = (b'ENVELOPE ("Tue, 1 Dec 2026 10:00:00 +0100" '
           b'"=?utf-8?q?caf=C3=A9?= =?iso-8859-1?b?6XTp?=" '
           b'(("Alice" NIL "alice" "example.test")) '
           b'(("Alice" NIL "alice" "example.test")) '
           b'(("Alice" NIL "alice" "example.test")) '
           b'((NIL NIL "bob" "example.test")) NIL NIL NIL NIL)')
    assert all_ == fast[0][:-1] + b" " + env + b")"
    parts = (b'(("text" "plain" ("charset" "iso-8859-1") NIL NIL '
             b'"quoted-printable" 11 0)'
             b'("text" "plain" ("charset" "utf-8") NIL NIL "base64" 20 0)'
             b'("application" "octet-stream" NIL NIL NIL "x-uuencode" 5)'
             b' "mixed")')
    assert full == all_[:-1] + b" BODY " + parts + b")"
    bs = ok(r, "FETCH 1 BODYSTRUCTURE")[0]
    assert bs == (b'* 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" '
                  b'"iso-8859-1") NIL NIL "quoted-printable" 11 0 NIL NIL '
                  b'NIL NIL)("text" "plain" ("charset" "utf-8") NIL NIL '
                  b'"base64" 20 0 NIL NIL NIL NIL)("application" '
                  b'"octet-stream" NIL NIL NIL "x-uuencode" 5 NIL NIL NIL '
                  b'NIL) "mixed" ("boundary" "XX") NIL NIL NIL))')
    # BINARY decodes; BINARY.SIZE is the decoded size
    untagged = ok(r, "FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[2])")
    assert untagged == [b"* 1 FETCH (BINARY[1] {7}",
                        b"d\xe9j\xe0 vu BINARY.SIZE[2] 13)"]
    untagged = ok(r, "FETCH 1 (BINARY.PEEK[2]<2.5>)")
    assert untagged == [b"* 1 FETCH (BINARY[2]<2> {5}", b"berra)"]
    assert r.cmd("FETCH 1 (BINARY.PEEK[3])")[1] == \
        b"a NO [UNKNOWN-CTE] a part's content transfer encoding cannot " \
        b"be decoded"
    untagged = ok(r, "FETCH 1 (BODY.PEEK[2.MIME])")
    assert untagged == [b"* 1 FETCH (BODY[2.MIME] {78}",
                        b"Content-Type: text/plain; charset=utf-8",
                        b"Content-Transfer-Encoding: base64", b"", b")"]
    # none of it set \Seen
    assert ok(r, "FETCH 1 FLAGS") == [b"* 1 FETCH (FLAGS (\\Recent))"]
    r.close()


def test_decoded_text_search(fct, imap):
    put_message(fct, "alice", MULTI)
    put_message(fct, "alice", b"Subject: plain\n\nnothing special\n")
    r = session(imap)
    ok(r, "SELECT INBOX")

    def search(key):
        untagged = ok(r, b"SEARCH CHARSET UTF-8 " + key)
        assert len(untagged) == 1 and untagged[0].startswith(b"* SEARCH")
        return untagged[0].split()[2:]
    # quoted-printable Latin-1, base64 UTF-8, RFC 2047 in two charsets
    assert search(b'BODY "d\xc3\xa9j\xc3\xa0"') == [b"1"]
    assert search(b'BODY "\xc3\x9cBERRASCH"') == [b"1"]  # case folded
    # adjacent encoded words join without their space (RFC 2047 6.2)
    assert search(b'SUBJECT "CAF\xc3\x89\xc3\xa9t\xc3\xa9"') == [b"1"]
    assert search(b'TEXT "\xc3\xa9t\xc3\xa9"') == [b"1"]
    # the encoded forms are not what is searched
    assert search(b"BODY w7xiZXJy") == []
    assert search(b'BODY "d=E9j"') == []
    # a literal in UTF-8
    word = "überrasch".encode()
    r.send(b"l SEARCH CHARSET UTF-8 BODY {%d}\r\n" % len(word))
    assert r.line() == b"+ OK"
    r.send(word + b"\r\n")
    assert r.until(b"l") == ([b"* SEARCH 1"], b"l OK SEARCH completed")
    assert search(b"NOT BODY special") == [b"1"]
    r.close()


def test_list_extended_status_and_subscriptions(fct, imap):
    put_message(fct, "alice", b"Subject: one\n\nbody\n")
    r = session(imap)
    ok(r, "CREATE Lists.dev")
    ok(r, "SUBSCRIBE Sent")
    ok(r, "SUBSCRIBE Lists.dev")
    assert ok(r, 'LIST (SPECIAL-USE) "" "*"') == [
        b'* LIST (\\HasNoChildren \\Archive) "." "Archive"',
        b'* LIST (\\HasNoChildren \\Drafts) "." "Drafts"',
        b'* LIST (\\HasNoChildren \\Junk) "." "Junk"',
        b'* LIST (\\HasNoChildren \\Sent) "." "Sent"',
        b'* LIST (\\HasNoChildren \\Trash) "." "Trash"']
    assert ok(r, 'LIST (SUBSCRIBED) "" "*"') == [
        b'* LIST (\\HasNoChildren \\Subscribed) "." "Lists.dev"',
        b'* LIST (\\HasNoChildren \\Subscribed \\Sent) "." "Sent"']
    # RECURSIVEMATCH: a parent not subscribed itself, with CHILDINFO
    assert ok(r, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"') == [
        b'* LIST (\\HasChildren) "." "Lists" ("CHILDINFO" ("SUBSCRIBED"))',
        b'* LIST (\\HasNoChildren \\Subscribed \\Sent) "." "Sent"']
    # several patterns; RETURN (CHILDREN SUBSCRIBED STATUS)
    assert ok(r, 'LIST "" ("INBOX" "Lists") RETURN (CHILDREN SUBSCRIBED '
              'STATUS (MESSAGES UNSEEN SIZE))') == [
        b'* LIST (\\HasNoChildren) "." "INBOX"',
        b'* STATUS "INBOX" (MESSAGES 1 UNSEEN 1 SIZE 22)',
        b'* LIST (\\HasChildren) "." "Lists"',
        b'* STATUS "Lists" (MESSAGES 0 UNSEEN 0 SIZE 0)']
    assert ok(r, 'LSUB "" "*"') == [b'* LSUB () "." "Lists.dev"',
                                    b'* LSUB (\\Sent) "." "Sent"']
    assert ok(r, 'LSUB "" "%"') == [b'* LSUB (\\Noselect) "." "Lists"',
                                    b'* LSUB (\\Sent) "." "Sent"']
    ok(r, "UNSUBSCRIBE Sent")
    assert ok(r, 'LSUB "" "*"') == [b'* LSUB () "." "Lists.dev"']
    # the hierarchy delimiter
    assert ok(r, 'LIST "" ""') == [b'* LIST (\\Noselect) "." ""']
    r.close()


def test_every_search_key(fct, imap):
    """Each SEARCH key of RFC 3501 and RFC 9051 (and SAVEDATE's) on
    three messages built so that each key picks its own set."""
    import time
    m1 = (b"From: Alice <alice@example.test>\nTo: bob@example.test\n"
          b"Cc: carol@example.test\nSubject: alpha\nX-Tag: one\n"
          b"Date: Tue, 1 Dec 2026 10:00:00 +0000\n\napples\n")
    m2 = (b"From: dave@example.test\nTo: erin@example.test\n"
          b"Bcc: frank@example.test\nSubject: beta\n"
          b"Date: Sun, 15 Nov 2026 10:00:00 +0000\n\n" + b"b" * 2000 + b"\n")
    m3 = (b"From: gina@example.test\nTo: bob@example.test\nSubject: gamma\n"
          b"Date: Fri, 1 Jan 2027 10:00:00 +0000\n\ncherries\n")
    n1 = put_message(fct, "alice", m1, sub="cur", info=":2,FRa")
    n2 = put_message(fct, "alice", m2, sub="cur", info=":2,DT")
    n3 = put_message(fct, "alice", m3, sub="cur", info=":2,S")
    with open(os.path.join(fct.user("alice").home, "Maildir",
                           "facteur-keywords"), "wb") as f:
        f.write(b"kw1\0")
    cur = fct.maildir("alice", "cur")
    # internal dates: 2 Dec 2026, 16 Nov 2026, 2 Jan 2027 (noon UTC)
    for n, t in ((n1, 1796212800), (n2, 1794830400), (n3, 1798891200)):
        os.utime(os.path.join(cur, n), (t, t))
    r = session(imap)
    ok(r, "SELECT INBOX")
    # a fourth, delivered since the SELECT
    put_message(fct, "alice", b"Subject: delta\n\nlate\n")
    ok(r, "NOOP")
    today = time.strftime("%d-%b-%Y", time.localtime()).lstrip("0")
    cases = [
        ("ALL", "1 2 3 4"), ("ANSWERED", "1"), ("UNANSWERED", "2 3 4"),
        ("FLAGGED", "1"), ("UNFLAGGED", "2 3 4"), ("DELETED", "2"),
        ("UNDELETED", "1 3 4"), ("DRAFT", "2"), ("UNDRAFT", "1 3 4"),
        ("SEEN", "3"), ("UNSEEN", "1 2 4"), ("KEYWORD kw1", "1"),
        ("UNKEYWORD kw1", "2 3 4"), ("KEYWORD nothere", ""),
        # this session is the first to see all four: all are \\Recent
        ("RECENT", "1 2 3 4"), ("NEW", "1 2 4"), ("OLD", ""),
        ("FROM alice", "1"), ("FROM EXAMPLE", "1 2 3"), ("TO bob", "1 3"),
        ("CC carol", "1"), ("BCC frank", "2"), ("SUBJECT AMM", "3"),
        ("HEADER X-Tag one", "1"), ("HEADER X-Tag \"\"", "1"),
        ("BODY cherries", "3"), ("TEXT alpha", "1"), ("TEXT apples", "1"),
        ("LARGER 1000", "2"), ("SMALLER 1000", "1 3 4"),
        ("BEFORE 16-Nov-2026", ""), ("BEFORE 17-Nov-2026", "2"),
        ("ON 2-Dec-2026", "1"), ("SINCE 2-Dec-2026", "1 3 4"),
        ("SENTBEFORE 1-Dec-2026", "2"), ("SENTON 1-Dec-2026", "1"),
        ("SENTSINCE 1-Dec-2026", "1 3"),
        ("SAVEDON " + today, "1 2 3 4"), ("SAVEDBEFORE " + today, ""),
        ("SAVEDSINCE " + today, "1 2 3 4"),
        ("SAVEDATESUPPORTED", "1 2 3 4"),
        ("UID 2:3", "2 3"), ("2,4", "2 4"), ("*", "4"),
        ("NOT SEEN", "1 2 4"), ("OR SEEN DRAFT", "2 3"),
        ("(FLAGGED SUBJECT alpha) NOT DELETED", "1"),
        ("OR (TO bob SEEN) (LARGER 1000 DRAFT)", "2 3"),
    ]
    wrong = []
    for key, want in cases:
        untagged = ok(r, "SEARCH " + key)
        if untagged != [(b"* SEARCH " + want.encode()).rstrip()]:
            wrong.append((key, want, untagged))
    assert wrong == []
    # the same keys with UID SEARCH answer UIDs
    assert ok(r, "UID SEARCH FLAGGED") == [b"* SEARCH 1"]
    assert ok(r, "UID SEARCH 4") == [b"* SEARCH 4"]
    r.close()
