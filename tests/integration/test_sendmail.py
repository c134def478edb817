"""
sendmail and enqueue to Maildir: what lands on disk, byte for byte, and
sendmail's options.  Every delivered file must be
"Return-Path: <sender>\\nDelivered-To: rcpt\\n" followed by the injected
bytes (plus only the Date/Message-ID/From headers sendmail adds when they
are missing).
"""
import email.utils
import os
import uuid

import pytest

import facteur_harness as H

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D
CAROL = "carol@" + D

pytestmark = pytest.mark.usefixtures("sendmail_built")


def head(sender, rcpt):
    return ("Return-Path: <%s>\nDelivered-To: %s\n" % (sender, rcpt)).encode()


def only_message(fct, user, tag, timeout=30):
    """Waits for the message tagged tag, then for an empty queue, and
    returns the one copy (failing on duplicates)."""
    fct.wait_for_tag(user, tag, timeout)
    fct.assert_queue_empty(timeout)
    copies = [m for m in fct.messages(user) if H.tag_of(m) == tag]
    assert len(copies) == 1, "%d copies of %s" % (len(copies), tag)
    return copies[0]


def send_exact(fct, data, args=("-i",), rcpt=BOB, user="bob", timeout=30):
    tag = H.tag_of(data)
    r = fct.sendmail(list(args) + ["-f", ALICE, rcpt], data)
    assert r.returncode == 0, r.stderr
    got = only_message(fct, user, tag, timeout)
    want = head(ALICE, rcpt) + data
    if got != want:
        # a readable difference for small messages, lengths for big ones
        n = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                 min(len(got), len(want)))
        raise AssertionError("delivered file differs from input at octet %d "
                             "(got %d octets, want %d): got %r want %r"
                             % (n, len(got), len(want), got[n:n + 60],
                                want[n:n + 60]))


# ------------------------------------------------------ byte-exact delivery

def test_plain_message(fct):
    tag, data = H.make_message(body=b"Hello Bob.\n\nBye.\n")
    send_exact(fct, data)


def test_8bit_body(fct):
    body = bytes(range(0x80, 0x100)) + b"\n" + "\u00e9t\u00e9 \u2603 \u6f22\n".encode() \
        + b"\t\x01\x1b[0m\x7f\n" + b"\xff\xfe\xfd\n"
    tag, data = H.make_message(body=body, headers=[b"Content-Type: text/plain;"
                                                   b" charset=utf-8",
                                                   b"Content-Transfer-Encoding:"
                                                   b" 8bit"])
    send_exact(fct, data)


def test_long_lines(fct):
    body = (b"x" * 10000 + b"\n") + (b"y" * 9999 + b"\n") + \
        (b"0123456789" * 2000 + b"\n") + b"short\n"
    tag, data = H.make_message(body=body,
                               headers=[b"X-Long: " + b"h" * 10000])
    send_exact(fct, data)


def test_dot_lines_with_i(fct):
    body = b".\n..\n.leading dot\n...\n. \nmiddle\n.\n"
    tag, data = H.make_message(body=body)
    send_exact(fct, data, args=("-i",))


def test_dot_lines_with_oi(fct):
    body = b"one\n.\ntwo\n"
    tag, data = H.make_message(body=body)
    send_exact(fct, data, args=("-oi",))


def test_no_final_newline(fct):
    tag, data = H.make_message(body=b"first\nlast line without newline")
    send_exact(fct, data)


def test_no_final_newline_enqueue(fct):
    tag, data = H.make_message(body=b"first\nno newline at the end")
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 0, r.stderr
    assert only_message(fct, "bob", tag) == head(ALICE, BOB) + data


def test_crlf_and_8bit_enqueue_unchanged(fct):
    """enqueue stores what it is given: CRLF stays CRLF, bare CR stays."""
    tag, data = H.make_message(body=b"crlf\nline\n\n\xe9\n")
    data = data.replace(b"\n", b"\r\n") + b"bare\rcr\r\n"
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 0, r.stderr
    assert only_message(fct, "bob", tag) == head(ALICE, BOB) + data


def test_30mb_message(fct):
    line = b"".join(bytes([0x41 + (i % 26)]) for i in range(76)) + b"\n"
    body = line * (30 * 1024 * 1024 // len(line) + 1)
    tag, data = H.make_message(body=body)
    assert len(data) > 30 * 1024 * 1024
    send_exact(fct, data, timeout=180)


def test_added_headers(fct):
    """Date, Message-ID and From are added when missing; nothing else
    changes, and the body is untouched."""
    tag = uuid.uuid4().hex
    hdrs = [b"To: " + BOB.encode(), b"Subject: no date",
            b"X-Facteur-Test: " + tag.encode()]
    body = b"body line\n.dot\n"
    data = b"\n".join(hdrs) + b"\n\n" + body
    r = fct.sendmail(["-i", "-f", ALICE, BOB], data)
    assert r.returncode == 0, r.stderr
    got = only_message(fct, "bob", tag)
    assert got.startswith(head(ALICE, BOB))
    rest = got[len(head(ALICE, BOB)):]
    h, sep, b = rest.partition(b"\n\n")
    assert sep and b == body
    lines = h.split(b"\n")
    added = [x for x in lines if x.lower().split(b":")[0] in
             (b"date", b"message-id", b"from")]
    names = sorted(x.lower().split(b":")[0] for x in added)
    assert names == [b"date", b"from", b"message-id"], lines
    assert [x for x in lines if x not in added] == hdrs
    date = [x for x in added if x.lower().startswith(b"date:")][0]
    assert email.utils.parsedate_to_datetime(date[5:].strip().decode())
    mid = [x for x in added if x.lower().startswith(b"message-id:")][0]
    assert b"<" in mid and b"@" in mid and b">" in mid
    frm = [x for x in added if x.lower().startswith(b"from:")][0]
    assert ALICE.encode() in frm


def test_present_headers_not_duplicated(fct):
    tag, data = H.make_message()
    r = fct.sendmail(["-i", BOB], data)
    assert r.returncode == 0, r.stderr
    got = only_message(fct, "bob", tag)
    h = got.partition(b"\n\n")[0].lower()
    for name in (b"\ndate:", b"\nmessage-id:", b"\nfrom:"):
        assert h.count(name) == 1, name


# ---------------------------------------------------------------- options

def test_f_sets_envelope_sender(fct):
    tag, data = H.make_message()
    r = fct.sendmail(["-f", "carol@" + D, BOB], data)
    assert r.returncode == 0, r.stderr
    got = only_message(fct, "bob", tag)
    assert got.startswith(head("carol@" + D, BOB))


def test_default_sender_is_caller(fct):
    tag, data = H.make_message()
    r = fct.sendmail([BOB], data, user="alice")
    assert r.returncode == 0, r.stderr
    got = only_message(fct, "bob", tag)
    login = fct.users["alice"].login
    assert got.startswith(head("%s@%s" % (login, D), BOB)), got[:200]


def test_bare_user_gets_myhostname(fct):
    tag, data = H.make_message()
    r = fct.sendmail(["-f", ALICE, "bob"], data)
    assert r.returncode == 0, r.stderr
    got = only_message(fct, "bob", tag)
    assert got.startswith(head(ALICE, BOB)), got[:200]


def test_t_reads_recipients_and_removes_bcc(fct):
    tag = uuid.uuid4().hex
    data = ("From: %s\nTo: Bob <%s>\nCc: %s\nBcc: %s\nSubject: t\n"
            "Date: Thu, 27 Nov 2025 10:00:00 +0000\nMessage-ID: <%s@x>\n"
            "X-Facteur-Test: %s\n\nbody\n"
            % (ALICE, BOB, CAROL, ALICE, tag, tag)).encode()
    r = fct.sendmail(["-t", "-i", "-f", ALICE], data)
    assert r.returncode == 0, r.stderr
    for user, rcpt in (("bob", BOB), ("carol", CAROL), ("alice", ALICE)):
        got = fct.wait_for_tag(user, tag)
        assert got.startswith(head(ALICE, rcpt)), got[:200]
        assert b"\nbcc:" not in got.partition(b"\n\n")[0].lower(), got
        assert got.endswith(b"\n\nbody\n")
    fct.assert_queue_empty()
    assert fct.count_tags()[tag] == 3
    want = data.replace(("Bcc: %s\n" % ALICE).encode(), b"")
    assert fct.messages("bob") == [head(ALICE, BOB) + want]


def test_F_sets_full_name(fct):
    tag = uuid.uuid4().hex
    data = ("To: %s\nSubject: F\nX-Facteur-Test: %s\n\nbody\n"
            % (BOB, tag)).encode()
    r = fct.sendmail(["-i", "-F", "Alice Example", "-f", ALICE, BOB], data)
    assert r.returncode == 0, r.stderr
    got = only_message(fct, "bob", tag)
    frm = [x for x in got.split(b"\n\n")[0].split(b"\n")
           if x.lower().startswith(b"from:")]
    assert len(frm) == 1, got
    assert b"Alice Example" in frm[0] and ALICE.encode() in frm[0], frm


def test_lone_dot_ends_input_without_i(fct):
    tag, msg = H.make_message(body=b"kept\n.x is kept\n")
    data = msg + b".\nafter the dot\n"
    r = fct.sendmail(["-f", ALICE, BOB], data)
    assert r.returncode == 0, r.stderr
    got = only_message(fct, "bob", tag)
    assert got == head(ALICE, BOB) + msg


@pytest.mark.parametrize("opt", [["-bd"], ["-bv", BOB]])
def test_unsupported_option_exits_64(fct, opt):
    tag, data = H.make_message()
    r = fct.sendmail(opt + ["-f", ALICE, BOB], data)
    assert r.returncode == 64, (r.returncode, r.stderr)
    assert fct.queue_is_empty(), fct.queue_files()
    # a later message arrives alone: nothing was queued by the refused call
    tag2, data2 = H.make_message()
    assert fct.sendmail(["-f", ALICE, BOB], data2).returncode == 0
    only_message(fct, "bob", tag2)
    assert fct.count_tags().get(tag) is None


def test_config_from_environment(fct):
    """sendmail without -C finds the config through $FACTEUR_CONF."""
    tag, data = H.make_message()
    r = fct.sendmail(["-f", ALICE, BOB], data, conf_flag=False)
    assert r.returncode == 0, r.stderr
    only_message(fct, "bob", tag)


def test_several_recipients(fct):
    tag, data = H.make_message()
    r = fct.sendmail(["-i", "-f", ALICE, BOB, CAROL], data)
    assert r.returncode == 0, r.stderr
    assert fct.wait_for_tag("bob", tag) == head(ALICE, BOB) + data
    assert fct.wait_for_tag("carol", tag) == head(ALICE, CAROL) + data
    fct.assert_queue_empty()
    assert fct.count_tags()[tag] == 2


@pytest.mark.facteur(conf={"queue_scan_interval": "1h"})
def test_trigger_wakes_queued(fct):
    """With a one-hour rescan, delivery can only come from the trigger."""
    tag, data = H.make_message()
    assert fct.sendmail(["-f", ALICE, BOB], data).returncode == 0
    only_message(fct, "bob", tag)


@pytest.mark.facteur(make_maildirs=False)
def test_maildir_created_when_missing(fct):
    tag, data = H.make_message()
    assert fct.sendmail(["-i", "-f", ALICE, BOB], data).returncode == 0
    assert only_message(fct, "bob", tag) == head(ALICE, BOB) + data
    for sub in ("cur", "new", "tmp"):
        assert os.path.isdir(fct.maildir("bob", sub))


def test_log_lines_carry_queue_id(fct):
    """Postfix-like `ID: key=value` lines: from= on arrival, to= with
    relay=local and status=sent on delivery, for the same queue ID."""
    fct.stop_queued()
    tag, data = H.make_message()
    assert fct.sendmail(["-i", "-f", ALICE, BOB], data).returncode == 0
    ids = fct.queue_files()["env"]
    assert len(ids) == 1 and H.re.fullmatch(r"[0-9A-Z]{14}", ids[0]), ids
    qid = ids[0]
    fct.start_queued()
    only_message(fct, "bob", tag)
    log = fct.log()
    assert H.re.search(r"\b%s: from=<%s>" % (qid, H.re.escape(ALICE)), log)
    assert H.re.search(r"\b%s: to=<%s>, relay=local, .*status=sent \("
                       % (qid, H.re.escape(BOB)), log), log
