"""
test_smtpd_tls: STARTTLS (RFC 3207) on the mx and submission ports and
implicit TLS on the smtps port (RFC 8314), with real clients (openssl
s_client, swaks, Python's smtplib) verifying the server's certificate
against a test CA made in the test session, host name included; the
STARTTLS injection case; the Received header's TLS record; the private
key out of the session's reach.
"""
import os
import smtplib
import socket
import ssl
import subprocess

import pytest

import facteur_harness as H
from conftest import need_package
from smtpd_fixtures import Client, SMTPD_USER, split_delivered
from test_smtpd_tls_fixtures import (PASSWORD, TlsClient,  # noqa: F401
                                     smtpd3)

ALICE = "alice@" + H.DOMAIN


def s_client(args, stdin, timeout=60):
    need_package("openssl")
    return subprocess.run(["openssl", "s_client", "-connect"] + args,
                          input=stdin, capture_output=True, timeout=timeout)


def test_starttls_advertised_and_works(fct, smtpd3):
    c = TlsClient(smtpd3.mx.port, smtpd3.ca)
    ext = c.ehlo()
    assert "STARTTLS" in ext
    assert not any(e.startswith("AUTH") for e in ext)
    c.starttls()
    ext = c.ehlo()
    assert "STARTTLS" not in ext
    assert "AUTH PLAIN LOGIN" in ext
    assert c.code("STARTTLS") == 503
    assert c.code("QUIT") == 221
    c.close()


def test_starttls_with_argument_is_501(fct, smtpd3):
    c = Client(smtpd3.mx.port)
    assert c.code("EHLO x") == 250
    assert c.code("STARTTLS now") == 501
    assert c.code("QUIT") == 221


def test_openssl_starttls_verifies(fct, smtpd3):
    r = s_client(["127.0.0.1:%d" % smtpd3.mx.port, "-starttls", "smtp",
                  "-CAfile", smtpd3.ca, "-verify_return_error",
                  "-verify_hostname", "localhost", "-crlf", "-quiet"],
                 b"EHLO openssl.test\nQUIT\n")
    out = r.stdout.decode("utf-8", "replace")
    assert r.returncode == 0, r.stderr
    assert "250-" in out and "221 " in out, out
    assert b"verify return:1" in r.stderr or b"depth=0" in r.stderr


def test_openssl_implicit_tls_on_smtps(fct, smtpd3):
    r = s_client(["127.0.0.1:%d" % smtpd3.smtps.port, "-CAfile", smtpd3.ca,
                  "-verify_return_error", "-verify_hostname", "localhost",
                  "-crlf", "-quiet"], b"EHLO openssl.test\nQUIT\n")
    out = r.stdout.decode("utf-8", "replace")
    assert r.returncode == 0, r.stderr
    assert out.startswith("220 "), out
    assert "250-" in out and "AUTH PLAIN LOGIN" in out
    assert "STARTTLS" not in out


def test_old_tls_versions_refused(fct, smtpd3):
    r = s_client(["127.0.0.1:%d" % smtpd3.smtps.port, "-tls1_1",
                  "-CAfile", smtpd3.ca], b"QUIT\n")
    assert r.returncode != 0


def test_wrong_hostname_fails_verification(fct, smtpd3):
    s = socket.create_connection(("127.0.0.1", smtpd3.smtps.port), timeout=30)
    with pytest.raises(ssl.SSLCertVerificationError):
        smtpd3.context().wrap_socket(s, server_hostname="wrong.example")
    s.close()


def test_smtplib_starttls_and_smtp_ssl(fct, smtpd3):
    with smtplib.SMTP("127.0.0.1", smtpd3.mx.port, timeout=60) as c:
        c.ehlo("smtplib.test")
        assert c.has_extn("starttls")
        code, _ = c.starttls(context=smtpd3.context())
        assert code == 220
        c.ehlo("smtplib.test")
        assert not c.has_extn("starttls")
        assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
    with smtplib.SMTP_SSL("127.0.0.1", smtpd3.smtps.port, timeout=60,
                          context=smtpd3.context()) as c:
        c.ehlo("smtplib.test")
        assert c.has_extn("auth")
        assert c.noop()[0] == 250


def test_swaks_tls_and_tlsc(fct, smtpd3):
    need_package("swaks")
    tag, msg = H.make_message()
    for port, mode in ((smtpd3.mx.port, "--tls"),
                       (smtpd3.smtps.port, "--tlsc")):
        argv = ["swaks", "--server", "127.0.0.1:%d" % port, mode,
                "--tls-verify", "--tls-ca-path", smtpd3.ca,
                "--to", ALICE, "--from", ALICE, "--data", "-"]
        if port == smtpd3.smtps.port:
            argv += ["--auth", "PLAIN", "--auth-user", "alice",
                     "--auth-password", PASSWORD]
        r = subprocess.run(argv, input=msg, capture_output=True, timeout=120)
        assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    fct.wait_for_delivery("alice", 2)


def test_starttls_injection_never_executed(fct, smtpd3):
    """RSET pipelined in the same packet as STARTTLS is discarded: it is
    answered neither in plaintext nor over TLS."""
    c = TlsClient(smtpd3.mx.port, smtpd3.ca)
    c.ehlo()
    c.send(b"STARTTLS\r\nRSET\r\n")
    code, _ = c.reply()
    assert code == 220
    # Nothing else arrived in plaintext: the handshake would choke on it.
    c.f.close()
    c.s = c.context().wrap_socket(c.s, server_hostname="localhost")
    c.f = c.s.makefile("rb")
    code, lines = c.cmd("NOOP")
    assert (code, lines) == (250, ["2.0.0 Ok"])
    # the state was reset: MAIL needs a new EHLO
    assert c.code("MAIL FROM:<%s>" % ALICE) == 503
    assert c.code("QUIT") == 221
    assert c.eof()


def test_starttls_injection_without_tls(fct):
    """No TLS configured: STARTTLS is not offered, 502, and the session
    stays in step."""
    from smtpd_fixtures import SmtpdServer, smtpd_conf
    smtpd_conf(fct)
    srv = SmtpdServer(fct)
    try:
        c = Client(srv.port)
        code, lines = c.cmd("EHLO x")
        assert code == 250 and "STARTTLS" not in lines
        c.send(b"STARTTLS\r\nRSET\r\n")
        assert c.reply()[0] == 502
        assert c.reply()[0] == 250
        assert c.code("QUIT") == 221
    finally:
        srv.close()


def test_state_reset_after_starttls(fct, smtpd3):
    c = TlsClient(smtpd3.mx.port, smtpd3.ca)
    c.ehlo()
    assert c.code("MAIL FROM:<%s>" % ALICE) == 250
    c.starttls()
    assert c.code("RCPT TO:<%s>" % ALICE) == 503
    c.ehlo()
    assert c.code("RCPT TO:<%s>" % ALICE) == 503
    assert c.code("MAIL FROM:<%s>" % ALICE) == 250
    assert c.code("QUIT") == 221


def test_smtps_plaintext_client_gets_nothing(fct, smtpd3):
    c = Client(smtpd3.smtps.port, greet=False, timeout=30)
    c.send(b"EHLO x\r\n")
    try:
        data = c.f.read(4096)
    except ConnectionResetError:
        data = b""
    assert not data.startswith(b"220"), data
    c.close()


def test_received_records_tls(fct, smtpd3):
    tag, msg = H.make_message()
    c = TlsClient(smtpd3.mx.port, smtpd3.ca)
    c.ehlo()
    c.starttls()
    code, _ = c.mail(ALICE, [ALICE], msg.replace(b"\n", b"\r\n") +
                     b".\r\n")
    assert code == 250
    c.cmd("QUIT")
    fct.wait_for_delivery("alice", 1)
    _, _, received, _ = split_delivered(fct.messages("alice")[0])
    assert b"with ESMTPS id" in received, received
    assert b"(using TLS1." in received and b"with cipher" in received
    assert b"bits))" in received


@pytest.mark.root_only
def test_session_cannot_read_private_key(fct, smtpd3):
    key = fct.conf["tls_key_file"]
    st = os.stat(key)
    assert st.st_uid == 0 and st.st_mode & 0o077 == 0
    c = TlsClient(smtpd3.mx.port, smtpd3.ca)
    c.ehlo()
    (top,) = smtpd3.mx.pids()
    kids = H.children(top)
    assert len(kids) == 1
    sess = kids[0]
    import pwd
    uid = pwd.getpwnam(SMTPD_USER).pw_uid
    assert H.proc_uids(sess) == (uid,) * 4
    assert os.readlink("/proc/%d/root" % sess) == fct.conf["smtpd_chroot"]
    r = subprocess.run(["setpriv", "--reuid", str(uid), "--regid",
                        str(uid), "--clear-groups", "cat", key],
                       capture_output=True)
    assert r.returncode != 0 and r.stdout == b""
    c.cmd("QUIT")
