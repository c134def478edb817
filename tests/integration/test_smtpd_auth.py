"""
test_smtpd_auth: SMTP AUTH (RFC 4954) with PLAIN and LOGIN: offered only
after TLS (unless smtpd_plaintext_auth), with and without an initial
response, cancelled with "*", malformed base64; wrong passwords cost a
growing delay and too many close the connection; the log names the user
and the address, never the password; only the monitor opens the users
table, which the session could not read anyway.
"""
import os
import pwd
import re
import smtplib
import subprocess
import time

import pytest

import facteur_harness as H
from conftest import need_package
from smtpd_fixtures import Client, SMTPD_USER, SmtpdServer
from test_smtpd_tls_fixtures import (PASSWORD, TlsClient, b64,  # noqa: F401
                                     plain_ir, smtpd3)

ALICE = "alice@" + H.DOMAIN


def tls_session(port, ca):
    c = TlsClient(port, ca)
    c.ehlo()
    c.starttls()
    ext = c.ehlo()
    assert "AUTH PLAIN LOGIN" in ext
    return c


@pytest.mark.parametrize("which", ["mx", "sub"])
def test_no_auth_before_tls(fct, smtpd3, which):
    srv = getattr(smtpd3, which)
    c = Client(srv.port)
    code, lines = c.cmd("EHLO x")
    assert code == 250
    assert not any(x.startswith("AUTH") for x in lines)
    code, lines = c.cmd("AUTH PLAIN " + plain_ir("alice"))
    assert code == 538 and lines[0].startswith("5.7.11"), lines
    assert c.code("QUIT") == 221
    assert "auth ok" not in fct.log()


def test_plaintext_auth_when_allowed(fct, smtpd3):
    fct.write_conf(smtpd_plaintext_auth="yes")
    c = Client(smtpd3.sub.port)
    code, lines = c.cmd("EHLO x")
    assert "AUTH PLAIN LOGIN" in lines
    assert c.code("AUTH PLAIN " + plain_ir("alice")) == 235
    c.cmd("QUIT")


def test_plain_with_and_without_initial_response(fct, smtpd3):
    c = tls_session(smtpd3.sub.port, smtpd3.ca)
    code, lines = c.cmd("AUTH PLAIN " + plain_ir("alice"))
    assert (code, lines) == (235, ["2.7.0 Authentication successful"])
    assert c.code("AUTH PLAIN " + plain_ir("alice")) == 503
    c.cmd("QUIT")
    c = tls_session(smtpd3.sub.port, smtpd3.ca)
    code, lines = c.cmd("AUTH PLAIN")
    assert code == 334 and lines == [""]
    assert c.code(plain_ir("bob")) == 235
    c.cmd("QUIT")
    log = fct.log()
    assert "auth ok: user=<alice>, client=[127.0.0.1]" in log
    assert "auth ok: user=<bob>" in log


def test_login_stepwise(fct, smtpd3):
    c = tls_session(smtpd3.sub.port, smtpd3.ca)
    code, lines = c.cmd("AUTH LOGIN")
    assert code == 334 and lines == [b64("Username:")]
    code, lines = c.cmd(b64("carol"))
    assert code == 334 and lines == [b64("Password:")]
    assert c.code(b64(PASSWORD)) == 235
    c.cmd("QUIT")


def test_cancel_and_bad_base64(fct, smtpd3):
    c = tls_session(smtpd3.sub.port, smtpd3.ca)
    assert c.code("AUTH LOGIN") == 334
    assert c.code("*") == 501
    assert c.code("AUTH PLAIN") == 334
    assert c.code("not base64!") == 501
    assert c.code("AUTH PLAIN @@@@") == 501
    assert c.code("AUTH CRAM-MD5") == 504
    assert c.code("AUTH") == 501
    # still in step, and not authenticated
    assert c.code("MAIL FROM:<%s>" % ALICE) == 530
    assert c.code("AUTH PLAIN " + plain_ir("alice")) == 235
    c.cmd("QUIT")


def test_auth_not_in_transaction(fct, smtpd3):
    c = tls_session(smtpd3.mx.port, smtpd3.ca)
    assert c.code("MAIL FROM:<%s>" % ALICE) == 250
    assert c.code("AUTH PLAIN " + plain_ir("alice")) == 503
    c.cmd("QUIT")


def test_wrong_password_535_and_log(fct, smtpd3):
    c = tls_session(smtpd3.sub.port, smtpd3.ca)
    code, lines = c.cmd("AUTH PLAIN " + plain_ir("alice", "hunter2-wrong"))
    assert code == 535 and lines[0].startswith("5.7.8")
    code, lines = c.cmd("AUTH PLAIN " + plain_ir("nosuchuser", "zz-wrong"))
    assert code == 535
    assert c.code("AUTH PLAIN " + plain_ir("alice")) == 235
    c.cmd("QUIT")
    log = fct.log()
    assert re.search(r"auth failed: user=<alice>, client=\[127\.0\.0\.1\]",
                     log), log
    for secret in ("hunter2-wrong", "zz-wrong", PASSWORD,
                   plain_ir("alice"), plain_ir("alice", "hunter2-wrong")):
        assert secret not in log


def test_failures_slow_down_then_close(fct, smtpd3):
    """The 5th failure (auth_fail_limit) answers later than the 1st, and
    the connection is closed after it; order only, no seconds."""
    c = tls_session(smtpd3.sub.port, smtpd3.ca)
    times = []
    for i in range(5):
        t0 = time.monotonic()
        code, lines = c.cmd("AUTH PLAIN " + plain_ir("alice", "bad%d" % i))
        times.append(time.monotonic() - t0)
        assert code == 535, (i, code, lines)
    assert times[4] > times[0], times
    code, lines = c.reply()
    assert code == 421 and lines[0].startswith("4.7.0"), lines
    assert c.eof()
    # the next connection from the address is slowed from the start
    c = tls_session(smtpd3.sub.port, smtpd3.ca)
    t0 = time.monotonic()
    assert c.code("AUTH PLAIN " + plain_ir("alice", "bad")) == 535
    t_next = time.monotonic() - t0
    assert t_next > times[0], (t_next, times)
    c.cmd("QUIT")


def test_swaks_auth_plain_and_login(fct, smtpd3):
    need_package("swaks")
    for mech in ("PLAIN", "LOGIN"):
        tag, msg = H.make_message()
        r = subprocess.run(
            ["swaks", "--server", "127.0.0.1:%d" % smtpd3.sub.port, "--tls",
             "--tls-verify", "--tls-ca-path", smtpd3.ca,
             "--auth", mech, "--auth-user", "alice",
             "--auth-password", PASSWORD, "--from", ALICE,
             "--to", "bob@" + H.DOMAIN, "--data", "-"],
            input=msg, capture_output=True, timeout=120)
        out = r.stdout.decode() + r.stderr.decode()
        assert r.returncode == 0, out
        assert "235 2.7.0" in out
    fct.wait_for_delivery("bob", 2)
    r = subprocess.run(
        ["swaks", "--server", "127.0.0.1:%d" % smtpd3.sub.port, "--tls",
         "--tls-verify", "--tls-ca-path", smtpd3.ca, "--auth", "LOGIN",
         "--auth-user", "alice", "--auth-password", "nope-nope",
         "--from", ALICE, "--to", ALICE],
        capture_output=True, timeout=120)
    assert r.returncode != 0
    assert "535 5.7.8" in r.stdout.decode() + r.stderr.decode()


def test_smtplib_login(fct, smtpd3):
    tag, msg = H.make_message(to=ALICE)
    msg = msg.replace(b"\n", b"\r\n")
    with smtplib.SMTP("127.0.0.1", smtpd3.sub.port, timeout=60) as c:
        c.starttls(context=smtpd3.context())
        c.login("alice", PASSWORD)
        c.sendmail(ALICE, [ALICE], msg)
    with smtplib.SMTP_SSL("127.0.0.1", smtpd3.smtps.port, timeout=60,
                          context=smtpd3.context()) as c:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            c.login("alice", "wrong-one")
        c.login("alice", PASSWORD)
        c.sendmail(ALICE, [ALICE], msg)
    fct.wait_for_delivery("alice", 2)
    data = fct.messages("alice")[0]
    assert b"with ESMTPSA id" in data


@pytest.mark.root_only
def test_session_cannot_read_users_table(fct, smtpd3):
    users = fct.users_path
    # as installed (INSTALL): root's, 0600
    os.chmod(users, 0o600)
    st = os.stat(users)
    assert st.st_uid == 0 and st.st_mode & 0o077 == 0
    uid = pwd.getpwnam(SMTPD_USER).pw_uid
    r = subprocess.run(["setpriv", "--reuid", str(uid), "--regid", str(uid),
                        "--clear-groups", "cat", users], capture_output=True)
    assert r.returncode != 0 and r.stdout == b""
    c = tls_session(smtpd3.sub.port, smtpd3.ca)
    (top,) = smtpd3.sub.pids()
    (sess,) = H.children(top)
    assert H.proc_uids(sess) == (uid,) * 4
    assert H.proc_uids(top)[1] == 0
    # and the file is not even in its view: chrooted to an empty directory
    assert os.readlink("/proc/%d/root" % sess) == fct.conf["smtpd_chroot"]
    assert os.listdir(fct.conf["smtpd_chroot"]) == []
    assert c.code("AUTH PLAIN " + plain_ir("alice")) == 235
    c.cmd("QUIT")


class StraceSmtpd(SmtpdServer):
    """smtpd under strace -f, recording every open (and the chroot, which
    tells the session's pid)."""

    def __init__(self, inst, out, args=()):
        self.out = out
        super().__init__(inst, args)

    def _serve(self):
        import socket
        import facteur_harness as HH
        log = open(self.inst.log_path, "ab")
        try:
            while not self.closed:
                try:
                    conn, _ = self.sock.accept()
                except socket.timeout:
                    continue
                except OSError:
                    break
                argv = ["strace", "-f", "-qq", "-e",
                        "trace=openat,open,chroot",
                        "-o", self.out, self.inst.program("smtpd"), "-d",
                        "-C", self.inst.conf_path] + self.args
                try:
                    p = subprocess.Popen(
                        argv, stdin=conn.fileno(), stdout=conn.fileno(),
                        stderr=log, cwd="/", close_fds=True,
                        env=HH.base_env({"FACTEUR_CONF":
                                         self.inst.conf_path}))
                finally:
                    conn.close()
                with self.lock:
                    self.procs.append(p)
        finally:
            log.close()


@pytest.mark.root_only
def test_only_monitor_opens_users_table(fct, smtpd3):
    need_package("strace")
    out = os.path.join(fct.root, "strace.out")
    srv = StraceSmtpd(fct, out, ["-m", "submission"])
    try:
        c = tls_session(srv.port, smtpd3.ca)
        assert c.code("AUTH PLAIN " + plain_ir("alice")) == 235
        assert c.code("MAIL FROM:<%s>" % ALICE) == 250
        assert c.code("RCPT TO:<%s>" % ALICE) == 250
        c.cmd("QUIT")
        c.close()
    finally:
        srv.close()
    lines = open(out).read().splitlines()
    pids = [int(ln.split()[0]) for ln in lines if ln.split()[0].isdigit()]
    assert pids, lines[:5]
    monitor = pids[0]
    opens = [ln for ln in lines if fct.users_path in ln]
    assert opens, "the users table was never opened"
    for ln in opens:
        assert int(ln.split()[0]) == monitor, ln
    # and the session (the pid that chrooted, not the monitor) did run
    # under strace, opening nothing of the kind
    # (as root; otherwise nothing chroots and only the monitor shows)
    if H.IS_ROOT:
        chroots = [int(ln.split()[0]) for ln in lines if "chroot(" in ln]
        assert chroots and monitor not in chroots, lines[:20]
