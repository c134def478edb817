"""
Remote delivery to real receiving MTAs on loopback, byte for byte: a
second facteur (its smtpd started the inetd way, local delivery into its
own Maildirs) and Postfix's smtpd (a private instance of Debian's Postfix,
virtual(8) into a Maildir; root only), once as on the Internet: found
by the domain's MX, on port 25 of 127.0.0.25.  The bodies carry 8-bit
text, a 5000-octet line, lines that start with dots and, to facteur,
30 MB; what lands in the peer's Maildir ends with exactly the queued
message.
"""
import os
import re
import socket

import pytest

import facteur_harness as H
from conftest import _finish as conftest_finish
from postfix_peer import PostfixPeer
from remote_fixtures import DNS, make_cert, remote_instance, wait_log
from smtpd_fixtures import SmtpdServer, smtpd_conf

BODIES = [
    b"plain text\n.leading dot\n..two dots\n.\n",
    b"8-bit: caf\xc3\xa9 na\xc3\xafve \xff\xfe\n",
    b"a long line: " + b"L" * 5000 + b"\nand after it\n",
]


def big_body(size=30 * 1024 * 1024):
    line = b"".join(b"%c" % (65 + i % 26) for i in range(75)) + b"\n"
    out = line * (size // len(line))
    return out + b".dot at the end of 30 MB\n"


def queue_message(f, rcpt, body, tag):
    tag, msg = H.make_message(tag=tag, body=body, to=rcpt)
    r = f.enqueue_raw(msg, H.envelope("alice@" + H.DOMAIN, [rcpt]),
                      timeout=300)
    assert r.returncode == 0, r.stderr
    return msg


@pytest.fixture
def second(request):
    """Instance B (local domain b.test, smtpd per connection) and
    instance A, whose transport sends b.test to B's smtpd."""
    made = []
    b = H.Instance(conf={"local_domains": "$myhostname, localhost, b.test",
                         "message_size_limit": "64m"})
    made.append(b)
    srv = None
    try:
        # B offers STARTTLS; A requires it (encrypt)
        crt, key = make_cert(b.etc, "b.test", ("b.test", "127.0.0.1"))
        os.chmod(key, 0o600)
        b.write_conf(tls_cert_file=crt, tls_key_file=key)
        smtpd_conf(b)
        b.start_queued()
        srv = SmtpdServer(b)
        a = remote_instance(transport={
            "b.test": "smtp:[127.0.0.1]:%d" % srv.port},
            conf={"smtp_data_done_timeout": "120s",
                  "smtp_data_xfer_timeout": "120s",
                  "smtp_tls_security_level": "encrypt"})
        made.append(a)
        yield a, b
    finally:
        if srv is not None:
            srv.close()
        for i in made:
            conftest_finish(request, i)


def test_to_a_second_facteur_byte_for_byte(second):
    a, b = second
    sent = {}
    # facteur's smtpd takes lines of at most 998 octets (RFC 5321 4.5.3.1.6)
    bodies = BODIES[:2] + [b"a line at the limit: " + b"L" * 977 + b"\n",
                           big_body()]
    for i, body in enumerate(bodies):
        tag = "peer%d" % i
        sent[tag] = queue_message(a, "alice@b.test", body, tag)
    for tag, msg in sent.items():
        got = b.wait_for_tag("alice", tag, timeout=240)
        # B added its trace fields on top; the rest is the message
        assert got.endswith(msg), (tag, got[:400])
        head = got[:len(got) - len(msg)]
        assert b"Return-Path: <alice@" + H.DOMAIN.encode() + b">" in head
        assert b"Received: from " in head
        # B's Received line records the TLS version and cipher A used
        assert re.search(rb"\(using TLS1\.[23] with cipher \S+", head), head
    a.assert_queue_empty(60)
    lines = wait_log(a, "status=sent", len(sent))
    assert all("relay=127.0.0.1[127.0.0.1]:" in ln for ln in lines)
    # and so does A's log
    assert re.search(r"Untrusted TLS connection established to 127\.0\.0\.1"
                     r"\[127\.0\.0\.1\]:\d+: TLS1\.[23] with cipher",
                     a.log())
    # a longer line is refused by that smtpd, and the refusal comes back
    queue_message(a, "alice@b.test", BODIES[2], "toolong")
    ln = wait_log(a, "status=bounced")[0]
    assert "dsn=5.6.0" in ln and "line longer than 1000 octets (in reply " \
        "to end of DATA command)" in ln


@pytest.mark.root_only
def test_to_postfix_byte_for_byte(request):
    why = H.postfix_install()
    if why is not None:
        pytest.skip(why)
    u = H.ensure_user(H.LOGIN_PREFIX + "alice")
    pf = PostfixPeer(domain="pf.test", owner=(u.pw_uid, u.pw_gid))
    f = None
    try:
        f = remote_instance(transport={
            "pf.test": "smtp:[127.0.0.1]:%d" % pf.port})
        sent = {}
        for i, body in enumerate(BODIES):
            tag = "pf%d" % i
            sent[tag] = queue_message(f, "someone@pf.test", body, tag)
        H.wait_until(lambda: len(pf.messages()) >= len(sent), 60,
                     "Postfix to deliver %d messages" % len(sent))
        got = {H.tag_of(m): m for m in pf.messages()}
        for tag, msg in sent.items():
            assert got[tag].endswith(msg), (tag, got[tag][:400])
            assert b"Received: from " + H.DOMAIN.encode() in got[tag]
        lines = wait_log(f, "status=sent", len(sent))
        assert all(re.search(r"dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: "
                             r"queued as \w+\)", ln) for ln in lines), lines
        f.assert_queue_empty()
    except BaseException:
        print("---- postfix maillog ----\n" + pf.maillog()[-5000:])
        raise
    finally:
        if f is not None:
            conftest_finish(request, f)
        pf.stop()


PF25 = "127.0.0.25"


def port_25_free(host):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, 25))
        return True
    except OSError:
        return False
    finally:
        s.close()


@pytest.mark.root_only
def test_to_postfix_on_port_25_by_its_mx(request):
    """The way mail goes out on the Internet: no transport entry, no port;
    the domain's MX (from the test's DNS server) names a host whose
    address is 127.0.0.25, and Postfix's smtpd listens there on port 25."""
    why = H.postfix_install()
    if why is not None:
        pytest.skip(why)
    if not port_25_free(PF25):
        pytest.skip("port 25 of %s is taken" % PF25)
    u = H.ensure_user(H.LOGIN_PREFIX + "alice")
    dns = DNS({("pf.test", "MX"): [(10, "mx.pf.test")],
               ("mx.pf.test", "A"): [PF25]})
    pf = PostfixPeer(domain="pf.test", owner=(u.pw_uid, u.pw_gid),
                     host=PF25, port=25)
    f = None
    try:
        f = remote_instance(conf={"dns_resolver": dns.resolver})
        msg = queue_message(f, "someone@pf.test", BODIES[1], "pf25")
        H.wait_until(lambda: len(pf.messages()) >= 1, 60,
                     "Postfix on port 25 to deliver")
        assert pf.messages()[0].endswith(msg)
        ln = wait_log(f, "status=sent")[0]
        assert "relay=mx.pf.test[%s]:25," % PF25 in ln, ln
        assert dns.asked("pf.test", "MX") >= 1
    except BaseException:
        print("---- postfix maillog ----\n" + pf.maillog()[-5000:])
        raise
    finally:
        if f is not None:
            conftest_finish(request, f)
        pf.stop()
        dns.stop()
