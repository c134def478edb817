"""
The names and modes a sendmail replacement answers to: `make install`
puts mailq and newaliases beside sendmail, each working by its name;
sendmail -bi; sendmail -bs (SMTP on standard input, as cron daemons and
some MUAs submit, with the sender rules of sendmail -f); the DSN options
-N, -R and -V, checked (test_dsn.py follows them into the notices).
"""
import os
import shutil
import subprocess
import tempfile

import pytest

import facteur_harness as H

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def bs(fct, conversation, user="alice", args=()):
    """sendmail -bs with conversation on stdin; (exit code, replies)."""
    r = fct.sendmail(["-bs"] + list(args), conversation, user=user)
    replies = r.stdout.decode().split("\r\n")
    assert replies[-1] == "", r.stdout
    return r.returncode, replies[:-1]


def codes(replies):
    """The code of each reply (one per reply, multi-line ones once)."""
    return [int(x[:3]) for x in replies if x[3:4] == " "]


def test_bs_submits_as_the_caller(fct):
    tag, data = H.make_message()
    conv = (b"EHLO cron.test\r\nMAIL FROM:<alice>\r\nRCPT TO:<bob>\r\n"
            b"RCPT TO:<carol@" + D.encode() + b">\r\nDATA\r\n"
            + data.replace(b"\n", b"\r\n") + b"..dotted\r\n.\r\nQUIT\r\n")
    rc, replies = bs(fct, conv)
    assert rc == 0, replies
    assert replies[0].startswith("220 %s ESMTP" % D)
    assert codes(replies) == [220, 250, 250, 250, 250, 354, 250, 221], \
        replies
    assert "250-PIPELINING" in replies and "250-8BITMIME" in replies
    assert not any("AUTH" in x or "STARTTLS" in x for x in replies)
    got = fct.wait_for_tag("bob", tag)
    fct.wait_for_tag("carol", tag)
    # the sender rules of sendmail -f: a bare name gets @myhostname
    assert got.startswith(("Return-Path: <%s>\nDelivered-To: %s\n"
                           % (ALICE, BOB)).encode())
    assert got.endswith(data + b".dotted\n")
    fct.assert_queue_empty()


def test_bs_bare_lf_client_and_headers_added(fct):
    """A script writing bare LFs is understood; Date, Message-ID and From
    are added as sendmail adds them; Bcc is dropped."""
    conv = (b"HELO x\nMAIL FROM:<>\nRCPT TO:<bob>\nDATA\n"
            b"Subject: lf\nBcc: secret@" + D.encode() + b"\n\nbody\n.\n"
            b"QUIT\n")
    rc, replies = bs(fct, conv)
    assert codes(replies) == [220, 250, 250, 250, 354, 250, 221], replies
    got = fct.wait_for_delivery("bob", 1)[0]
    head = H.header_block(got).decode()
    assert "Return-Path: <>" in head
    for f in ("Date: ", "Message-ID: ", "From: "):
        assert "\n" + f in head, head
    assert "Bcc" not in head and "secret" not in head


def test_bs_several_transactions_and_rset(fct):
    t1, d1 = H.make_message()
    t2, d2 = H.make_message()
    conv = (b"EHLO x\r\nMAIL FROM:<alice@" + D.encode() + b">\r\n"
            b"RCPT TO:<bob>\r\nRSET\r\nMAIL FROM:<alice>\r\n"
            b"RCPT TO:<bob>\r\nDATA\r\n" + d1 + b"\r\n.\r\n"
            b"MAIL FROM:<alice>\r\nRCPT TO:<carol>\r\nDATA\r\n" + d2 +
            b"\r\n.\r\nQUIT\r\n")
    rc, replies = bs(fct, conv)
    assert codes(replies) == [220, 250, 250, 250, 250, 250, 250, 354, 250,
                              250, 250, 354, 250, 221], replies
    fct.wait_for_tag("bob", t1)
    fct.wait_for_tag("carol", t2)
    fct.assert_queue_empty()
    assert fct.count_tags() == {t1: 1, t2: 1}


def test_bs_errors(fct):
    conv = (b"EHLO x\r\nRCPT TO:<bob>\r\nDATA\r\nMAIL FROM:<a@b@c>\r\n"
            b"VRFY bob\r\nHELP\r\nNOOP\r\nETRN x\r\nAUTH PLAIN\r\n"
            b"MAIL FROM:<alice> SIZE=999999999999\r\nQUIT\r\n")
    rc, replies = bs(fct, conv)
    assert rc == 0
    assert codes(replies) == [220, 250, 503, 503, 501, 252, 214, 250, 502,
                              502, 552, 221], replies
    assert fct.queue_is_empty()


@pytest.mark.facteur(conf={"message_size_limit": "2k"})
def test_bs_message_too_large(fct):
    conv = (b"EHLO x\r\nMAIL FROM:<alice>\r\nRCPT TO:<bob>\r\nDATA\r\n"
            b"Subject: big\r\n\r\n" + b"x" * 3000 + b"\r\n.\r\nNOOP\r\n"
            b"QUIT\r\n")
    rc, replies = bs(fct, conv)
    assert codes(replies) == [220, 250, 250, 250, 354, 552, 250, 221], \
        replies
    assert fct.queue_is_empty()


def test_bs_input_ends_inside_data(fct):
    """The caller goes away in DATA: nothing is queued, exit 0 (an SMTP
    server drops an unfinished transaction)."""
    conv = (b"EHLO x\r\nMAIL FROM:<alice>\r\nRCPT TO:<bob>\r\nDATA\r\n"
            b"Subject: cut\r\n\r\npartial")
    rc, replies = bs(fct, conv)
    assert rc == 0 and codes(replies) == [220, 250, 250, 250, 354]
    assert fct.queue_is_empty()


@pytest.mark.facteur(conf={"smtpd_error_limit": "3"})
def test_bs_error_limit(fct):
    rc, replies = bs(fct, b"X\r\nY\r\nZ\r\nNOOP\r\n")
    assert codes(replies) == [220, 502, 502, 502, 421], replies


def test_bs_refuses_argv_recipients(fct):
    r = fct.sendmail(["-bs", BOB], b"QUIT\r\n")
    assert r.returncode == 64 and b"-bs takes its recipients" in r.stderr


@pytest.mark.parametrize("args", [
    ["-N", "never"], ["-N", "success,delay,failure"], ["-N", "FAILURE"],
    ["-R", "hdrs"], ["-R", "full"], ["-V", "env-id.42"],
    ["-N", "delay", "-R", "hdrs", "-V", "x"]])
def test_dsn_options_accepted(fct, args):
    tag, data = H.make_message()
    r = fct.sendmail(args + ["-f", ALICE, BOB], data)
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("bob", tag)


@pytest.mark.parametrize("args", [
    ["-N", "never,success"], ["-N", "sometimes"], ["-N", ""],
    ["-R", "body"], ["-V", "has space"], ["-V", "x" * 101],
    ["-V", "a+b"]])
def test_dsn_options_checked(fct, args):
    tag, data = H.make_message()
    r = fct.sendmail(args + ["-f", ALICE, BOB], data)
    assert r.returncode == 64, (args, r.stderr)
    assert fct.queue_is_empty()


def test_bi_checks_the_aliases(fct):
    r = fct.sendmail(["-bi"], b"")
    assert r.returncode == 0, r.stderr
    assert b"3 aliases" in r.stdout
    fct.write_aliases("postmaster alice\n")
    r = fct.sendmail(["-bi"], b"")
    assert r.returncode == 65 and b"has errors" in r.stderr


@pytest.fixture(scope="module")
def installed():
    """`make install` into a DESTDIR (that the test users can reach), with
    the build under test."""
    dest = tempfile.mkdtemp(prefix="facteur-install-",
                            dir=H.reachable_tmpdir())
    os.chmod(dest, 0o755)
    try:
        r = subprocess.run(["make", "-s", "-C", REPO, "BUILD=" + H.BUILD,
                            "DESTDIR=" + dest, "PREFIX=/usr", "install"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        yield dest
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def test_install_puts_the_names_beside_sendmail(fct, installed):
    sbin = os.path.join(installed, "usr", "sbin")
    for name in ("mailq", "newaliases"):
        p = os.path.join(sbin, name)
        assert os.path.islink(p) and os.readlink(p) == "sendmail", p
    assert os.access(os.path.join(sbin, "sendmail"), os.X_OK)
    man1 = os.path.join(installed, "usr", "share", "man", "man1")
    assert os.path.exists(os.path.join(man1, "sendmail.1"))


def test_each_name_works(fct, installed):
    sbin = os.path.join(installed, "usr", "sbin")
    r = fct.run([os.path.join(sbin, "newaliases"), "-C", fct.conf_path])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().startswith("newaliases: %s: 3 aliases"
                                        % fct.aliases_path)
    # mailq by its name lists the queue (through queued's socket)
    r = fct.run([os.path.join(sbin, "mailq"), "-C", fct.conf_path])
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"Mail queue is empty\n"
    r = fct.run([os.path.join(sbin, "sendmail"), "-C", fct.conf_path,
                 "-bi"])
    assert r.returncode == 0 and b"3 aliases" in r.stdout
    # the installed sendmail queues through the instance's enqueue
    tag, data = H.make_message()
    r = fct.run([os.path.join(sbin, "sendmail"), "-C", fct.conf_path,
                 "-f", ALICE, BOB], data)
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("bob", tag)
