"""
The master (facteur): listeners, one smtpd per connection, per-service and
per-client limits with both overload actions, supervision of queued,
SIGHUP and SIGTERM.  And `make run`'s embedded default, end to end.
"""
import os
import pathlib
import shutil
import tempfile
import signal
import smtplib
import socket
import subprocess

import pytest

import facteur_harness as H
from smtpd_fixtures import Client, smtpd_conf

CHECK_TIMEOUT = 30


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def can_connect(host, port):
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


class Master:
    def __init__(self, inst, port=None, **conf):
        self.inst = inst
        self.port = port or free_port()
        smtpd_conf(inst)
        over = {"smtp_listen": "127.0.0.1:%d" % self.port,
                "restart_delay": "1s", "shutdown_grace": "5s"}
        over.update(conf)
        inst.write_conf(**over)
        log = open(inst.log_path, "ab")
        self.proc = subprocess.Popen(
            [inst.program("facteur"), "-d", "-C", inst.conf_path],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            env=H.base_env(), start_new_session=True, cwd="/")
        log.close()
        # Wait on the log, not with a probe connection: a probe would be a
        # session of its own and count against the limits under test.
        try:
            H.wait_until(lambda: "started, configuration" in inst.log(),
                         CHECK_TIMEOUT, "the master to listen")
        except BaseException:
            # Never leave a master (and its queued) running behind a
            # failed start.
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise

    def sessions(self):
        """The per-connection smtpd processes (H.smtpd_monitors)."""
        return H.smtpd_monitors(self.proc.pid)

    def residents(self):
        return [p for p in H.children(self.proc.pid)
                if H.proc_comm(p) == "smtpd-resident"]

    def wait_idle(self):
        """Waits until no session runs (the probe connection's smtpd, or
        one a test closed, takes a moment to exit)."""
        H.wait_until(lambda: not self.sessions(), CHECK_TIMEOUT,
                     "the master's sessions to end")

    def queued_pid(self):
        for pid in H.children(self.proc.pid):
            if H.proc_comm(pid) == "queued":
                return pid
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.inst.problems.append("master ignored SIGTERM")
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def master_factory(fct):
    made = []

    def make(port=None, **conf):
        m = Master(fct, port, **conf)
        made.append(m)
        return m
    yield make
    for m in made:
        m.stop()


def send_one(port, tag, rcpt="alice@facteur.test"):
    msg = ("From: x@example.org\r\nTo: %s\r\nSubject: %s\r\n"
           "X-Facteur-Test: %s\r\n\r\nbody %s\r\n" % (rcpt, tag, tag, tag))
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.sendmail("x@example.org", [rcpt], msg)


@pytest.mark.facteur(start=False)
def test_master_accepts_and_delivers(fct, master_factory):
    m = master_factory()
    H.wait_until(lambda: m.queued_pid() is not None, CHECK_TIMEOUT,
                 "the master to start queued")
    send_one(m.port, "via-master")
    fct.wait_for_tag("alice", "via-master")
    assert fct.messages("alice")[0].endswith(b"\nbody via-master\n")


@pytest.mark.facteur(start=False)
def test_master_restarts_killed_queued(fct, master_factory):
    m = master_factory()
    H.wait_until(lambda: m.queued_pid() is not None, CHECK_TIMEOUT,
                 "queued to start")
    first = m.queued_pid()
    os.kill(first, signal.SIGKILL)
    H.wait_until(lambda: m.queued_pid() not in (None, first), CHECK_TIMEOUT,
                 "the master to start queued again")
    send_one(m.port, "after-restart")
    fct.wait_for_tag("alice", "after-restart")
    assert "queued killed by signal 9" in fct.log()


@pytest.mark.facteur(start=False)
def test_per_client_limit_replies_421(fct, master_factory):
    m = master_factory(max_sessions_per_client="2")
    held = [Client(m.port), Client(m.port)]
    for c in held:
        assert c.greeting[0] == 220
    extra = Client(m.port)
    assert extra.greeting[0] == 421, extra.greeting
    assert extra.eof()
    extra.close()
    # Below the limit again once one session ends.
    assert held[0].code("QUIT") == 221
    held[0].close()
    H.wait_until(lambda: len(m.sessions()) == 1, CHECK_TIMEOUT,
                 "the ended session to go")
    # the master counts the session out when its end is reported, which
    # may come a moment after its process is gone: refused until then
    box = []

    def greeted():
        c = Client(m.port)
        if c.greeting[0] == 220:
            box.append(c)
            return True
        assert c.greeting[0] == 421 and c.eof()
        c.close()
        return False
    H.wait_until(greeted, CHECK_TIMEOUT, "a session below the limit again")
    box[0].close()
    held[1].close()


@pytest.mark.facteur(start=False)
def test_per_client_limit_spares_mynetworks(fct, master_factory):
    """A client in mynetworks is held to max_sessions only, as Postfix
    exempts $mynetworks from its per-client connection limit; another
    address in the same configuration still gets 421."""
    m = master_factory(max_sessions_per_client="1", max_sessions="3",
                       mynetworks="127.0.0.0/8")
    held = [Client(m.port) for _ in range(3)]
    assert [c.greeting[0] for c in held] == [220, 220, 220]
    # the service limit still holds for it
    extra = Client(m.port)
    assert extra.greeting[0] == 421, extra.greeting
    extra.close()
    for c in held:
        c.close()
    H.wait_until(lambda: not m.sessions(), CHECK_TIMEOUT, "sessions to end")
    fct.write_conf(mynetworks="192.0.2.0/24")
    m.proc.send_signal(signal.SIGHUP)
    H.wait_until(lambda: "configuration re-read" in fct.log(), CHECK_TIMEOUT,
                 "the reload")

    def limited():
        a = Client(m.port)
        b = Client(m.port)
        codes = (a.greeting[0], b.greeting[0])
        a.close()
        b.close()
        H.wait_until(lambda: not m.sessions(), CHECK_TIMEOUT,
                     "sessions to end")
        return codes == (220, 421)
    H.wait_until(limited, CHECK_TIMEOUT, "the limit for an address outside "
                 "mynetworks")



@pytest.mark.facteur(start=False)
def test_service_limit_with_close_action(fct, master_factory):
    m = master_factory(max_sessions="1", overload_action="close")
    first = Client(m.port)
    assert first.greeting[0] == 220
    second = Client(m.port, greet=False)
    assert second.eof(), "over max_sessions the connection is just closed"
    second.close()
    first.close()


@pytest.mark.facteur(start=False)
def test_sighup_rebinds_and_bad_config_is_kept_out(fct, master_factory):
    m = master_factory()
    new_port = free_port()
    fct.write_conf(smtp_listen="127.0.0.1:%d" % new_port)
    m.proc.send_signal(signal.SIGHUP)
    H.wait_until(lambda: can_connect("127.0.0.1", new_port), CHECK_TIMEOUT,
                 "the new listener after SIGHUP")
    H.wait_until(lambda: not can_connect("127.0.0.1", m.port), CHECK_TIMEOUT,
                 "the old listener to close")
    # A config with an error is refused and the running one kept.
    with open(fct.conf_path, "a") as f:
        f.write("no_such_key = 1\n")
    m.proc.send_signal(signal.SIGHUP)
    H.wait_until(lambda: "keeping the running configuration" in fct.log(),
                 CHECK_TIMEOUT, "the master to refuse the bad config")
    assert m.proc.poll() is None
    # The master never stopped listening, and new sessions run on the
    # configuration it kept (test_attack_broken_reload.py), whether or
    # not the file is mended.
    assert can_connect("127.0.0.1", new_port)
    fct.write_conf()
    send_one(new_port, "after-hup")
    fct.wait_for_tag("alice", "after-hup")


@pytest.mark.facteur(start=False)
def test_ipv6_listener(fct, master_factory):
    try:
        port = free_port(socket.AF_INET6, "::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    v4 = free_port()
    m = master_factory(port=v4, smtp_listen="127.0.0.1:%d, [::1]:%d"
                       % (v4, port))
    H.wait_until(lambda: can_connect("::1", port), CHECK_TIMEOUT,
                 "the IPv6 listener")
    with smtplib.SMTP("::1", port, timeout=30) as s:
        s.sendmail("x@example.org", ["bob@facteur.test"],
                   "Subject: v6\r\nX-Facteur-Test: over-v6\r\n\r\nv6\r\n")
    fct.wait_for_tag("bob", "over-v6")
    assert m.proc.poll() is None


@pytest.mark.facteur(start=False)
def test_sigterm_lets_a_session_finish(fct, master_factory):
    m = master_factory(shutdown_grace="20s")
    c = Client(m.port)
    assert c.code("EHLO client.test") == 250
    m.proc.send_signal(signal.SIGTERM)
    H.wait_until(lambda: not can_connect("127.0.0.1", m.port), CHECK_TIMEOUT,
                 "the listener to close on SIGTERM")
    # The open session still completes its message within the grace time.
    code = c.mail("x@example.org", ["alice@facteur.test"],
                  b"Subject: late\r\nX-Facteur-Test: late\r\n\r\nlate\r\n.\r\n")
    assert code[0] == 250, code
    assert c.code("QUIT") == 221
    c.close()
    assert m.proc.wait(30) == 0
    # queued was stopped, so the message waits, committed, in the queue.
    assert len(os.listdir(os.path.join(fct.queue, "env"))) == 1


@pytest.mark.facteur(start=False)
def test_grace_time_ends_idle_sessions(fct, master_factory):
    m = master_factory(shutdown_grace="1s")
    c = Client(m.port)
    assert c.greeting[0] == 220
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(30) == 0
    assert c.eof(), "the idle session is ended after the grace time"
    c.close()


@pytest.fixture
def scratch():
    d = tempfile.mkdtemp(prefix="facteur-run-", dir=H.reachable_tmpdir())
    os.chmod(d, 0o755)
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


def test_make_run_embedded_default(scratch):
    """mk/run.sh (what `make run` runs) in a scratch directory: it prints
    how to send, accepts a mail for demo@example.test and delivers it."""
    top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    tmp_path = scratch
    run = tmp_path / "run"
    port = free_port()
    env = H.base_env({"FACTEUR_BUILD": H.BUILD, "FACTEUR_RUN_DIR": str(run),
                      "SMTP_PORT": str(port)})
    out = open(tmp_path / "out", "wb")
    proc = subprocess.Popen(["sh", os.path.join(top, "mk", "run.sh")],
                            cwd=top, env=env, stdout=out, stderr=out,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        H.wait_until(lambda: can_connect("127.0.0.1", port), 60,
                     "make run to listen")
        text = (tmp_path / "out").read_text()
        assert "swaks --server 127.0.0.1:%d --to demo@example.test" % port \
            in text
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
            s.sendmail("someone@example.org", ["demo@example.test"],
                       "Subject: first\r\nX-Facteur-Test: make-run\r\n\r\nhello\r\n")
        new = run / "mail" / "demo" / "Maildir" / "new"

        def landed():
            return new.is_dir() and any(
                b"X-Facteur-Test: make-run" in (new / f).read_bytes()
                for f in os.listdir(new))
        H.wait_until(landed, 60, "the demo mail to land")
        if H.IS_ROOT:
            f = next(iter(os.listdir(new)))
            import pwd
            assert pwd.getpwuid(os.stat(new / f).st_uid).pw_name == \
                "facteur-demo"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()
    assert proc.returncode == 0, (tmp_path / "out").read_text()[-3000:]


def test_make_run_local_conf(scratch):
    """run/local.conf is appended to the configuration `make run` writes,
    last, so that its keys win: here the host name (a key the generated
    file sets too) and the POP3 ports (moved out of the way)."""
    top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    run = scratch / "run"
    run.mkdir()
    port, pop3, pop3s = free_port(), free_port(), free_port()
    (run / "local.conf").write_text(
        "myhostname = local-conf.test\n"
        "pop3_listen = 127.0.0.1:%d\npop3s_listen = 127.0.0.1:%d\n"
        % (pop3, pop3s))
    env = H.base_env({"FACTEUR_BUILD": H.BUILD, "FACTEUR_RUN_DIR": str(run),
                      "SMTP_PORT": str(port)})
    out = open(scratch / "out", "wb")
    proc = subprocess.Popen(["sh", os.path.join(top, "mk", "run.sh")],
                            cwd=top, env=env, stdout=out, stderr=out,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        H.wait_until(lambda: can_connect("127.0.0.1", port), 60,
                     "make run to listen")
        conf = (run / "facteur.conf").read_text()
        assert conf.endswith((run / "local.conf").read_text()), conf
        assert conf.count("myhostname = ") == 2
        c = Client(port)
        assert c.greeting[0] == 220
        assert c.greeting[1][0].startswith("local-conf.test "), c.greeting
        c.close()
        H.wait_until(lambda: can_connect("127.0.0.1", pop3s), 60,
                     "POP3S on the port local.conf gave")
        text = (scratch / "out").read_text()
        assert "warning: myhostname set again" in text, text[-3000:]
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()


@pytest.mark.facteur(start=False)
def test_service_without_its_program_is_not_offered(fct, master_factory):
    """A listener whose program is not installed (imapd, removed here) is
    refused with a log line instead of accepting clients that would get
    nothing."""
    if os.path.exists(os.path.join(fct.libexec, "imapd")):
        os.unlink(os.path.join(fct.libexec, "imapd"))
    port = free_port()
    m = master_factory(imap_listen="127.0.0.1:%d" % port)
    assert "imapd is not installed; not listening" in fct.log()
    assert not can_connect("127.0.0.1", port)
    send_one(m.port, "smtp-still-works")
    fct.wait_for_tag("alice", "smtp-still-works")
