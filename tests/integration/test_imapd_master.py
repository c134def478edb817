"""
imapd under the master (imap_listen with STARTTLS, imaps_listen with TLS
from the first byte, the per-client limit answered with BYE), under
systemd socket activation, and in `make run`'s embedded default: a mail
sent by SMTP is read back with curl over IMAPS, as the printed
instructions say.  (inetd's way is the one every other imapd test uses.)
"""
import imaplib
import os
import signal
import smtplib
import socket
import ssl
import subprocess

import pytest

import facteur_harness as H
from conftest import need_package
from imapd_fixtures import PASSWORD, imap_conf, put_message, tls_dir
from test_master import Master, can_connect, free_port, scratch  # noqa: F401


@pytest.mark.facteur(start=False)
def test_master_serves_imap_and_imaps(fct):
    imap_conf(fct)
    port, sport = free_port(), free_port()
    m = Master(fct, imap_listen="127.0.0.1:%d" % port,
               imaps_listen="127.0.0.1:%d" % sport,
               max_sessions_per_client="1")
    try:
        put_message(fct, "alice", b"Subject: via master\n\nhello\n")
        ctx = ssl.create_default_context(
            cafile=os.path.join(tls_dir(), "ca.pem"))
        a = imaplib.IMAP4_SSL("127.0.0.1", sport, ssl_context=ctx,
                              timeout=60)
        a.login("alice", PASSWORD)
        typ, data = a.select("INBOX")
        assert data == [b"1"]
        typ, data = a.fetch("1", "(BODY.PEEK[TEXT])")
        assert data[0][1] == b"hello\r\n"
        b = imaplib.IMAP4("127.0.0.1", port, timeout=60)
        assert "LOGINDISABLED" in b.capabilities
        b.starttls(ssl_context=ctx)
        b.login("alice", PASSWORD)
        # a second IMAP connection from this address: over the limit
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        assert s.makefile("rb").readline() == \
            b"* BYE [UNAVAILABLE] busy, try later\r\n"
        s.close()
        a.logout()
        b.logout()
    finally:
        m.stop()


def test_make_run_reads_the_demo_mail_over_imaps(scratch):  # noqa: F811
    top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    run = scratch / "run"
    ports = {k: free_port() for k in ("SMTP_PORT", "POP3_PORT", "POP3S_PORT",
                                      "SUBMISSION_PORT", "SMTPS_PORT",
                                      "IMAP_PORT", "IMAPS_PORT")}
    env = H.base_env(dict({"FACTEUR_BUILD": H.BUILD,
                           "FACTEUR_RUN_DIR": str(run)},
                          **{k: str(v) for k, v in ports.items()}))
    out = open(scratch / "out", "wb")
    proc = subprocess.Popen(["sh", os.path.join(top, "mk", "run.sh")],
                            cwd=top, env=env, stdout=out, stderr=out,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        H.wait_until(lambda: can_connect("127.0.0.1", ports["IMAPS_PORT"]),
                     60, "make run to listen on IMAPS")
        text = (scratch / "out").read_text()
        line = "curl -k 'imaps://demo:demo@127.0.0.1:%d/INBOX;UID=1'" % \
            ports["IMAPS_PORT"]
        assert line in text
        with smtplib.SMTP("127.0.0.1", ports["SMTP_PORT"], timeout=30) as s:
            s.sendmail("someone@example.org", ["demo@example.test"],
                       "Subject: first\r\nX-Facteur-Test: imap-run\r\n\r\n"
                       "hello over imaps\r\n")
        new = run / "mail" / "demo" / "Maildir" / "new"
        H.wait_until(lambda: new.is_dir() and os.listdir(new), 60,
                     "the demo mail to land")
        r = subprocess.run(["curl", "-sS", "-k", "imaps://demo:demo@"
                            "127.0.0.1:%d/INBOX;UID=1" % ports["IMAPS_PORT"]],
                           capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert b"X-Facteur-Test: imap-run\r\n" in r.stdout
        assert r.stdout.endswith(b"hello over imaps\r\n")
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()
    assert proc.returncode == 0, (scratch / "out").read_text()[-3000:]


def test_systemd_socket_activation(fct):
    """systemd's Accept=yes (here systemd-socket-activate --inetd, what
    contrib/systemd/facteur-imaps.socket does) hands imapd the connection
    on fds 0 and 1."""
    sa = need_package("systemd", "systemd-socket-activate")
    imap_conf(fct)
    put_message(fct, "alice", b"Subject: socket\n\nactivated\n")
    port = free_port()
    log = open(fct.log_path, "ab")
    proc = subprocess.Popen(
        [sa, "--inetd", "-a", "-l", "127.0.0.1:%d" % port, "-E",
         "FACTEUR_CONF=" + fct.conf_path, fct.program("imapd"), "-d", "-C",
         fct.conf_path, "-s"], stdin=subprocess.DEVNULL, stdout=log,
        stderr=log, start_new_session=True)
    log.close()
    try:
        H.wait_until(lambda: can_connect("127.0.0.1", port), 30,
                     "systemd-socket-activate to listen")
        ctx = ssl.create_default_context(
            cafile=os.path.join(tls_dir(), "ca.pem"))
        c = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx, timeout=60)
        c.login("alice", PASSWORD)
        c.select("INBOX")
        typ, data = c.fetch("1", "(BODY.PEEK[TEXT])")
        assert data[0][1] == b"activated\r\n"
        c.logout()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
