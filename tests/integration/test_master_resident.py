"""
The master's resident smtpd servers (smtpd_resident, on by default): one
long-lived `smtpd -R` per SMTP service is handed each connection, forks
its session and is that session's monitor.  What must hold: a connection
is one process, the session, a child of the resident (no exec, no
monitor of its own), chrooted and unprivileged; the limits still count
every session and count it out when it ends; SIGHUP starts new residents
while the old ones serve their sessions to the end (and a new certificate
applies to new sessions only); a killed resident costs no later
connection; and smtpd_resident = no goes back to one program per
connection.  The queue writers and AUTH under a resident:
test_master_resident_queue.py.
"""
import os
import signal
import socket
import ssl
import subprocess

import pytest

import facteur_harness as H
from smtpd_fixtures import Client, SMTPD_USER
from test_master import (CHECK_TIMEOUT, free_port, master_factory,  # noqa: F401
                         send_one)
from test_smtpd_tls_fixtures import tls_conf


def residents_of(m, service_arg="-mmx"):
    """The pids of the resident smtpds serving that mode (a retired one
    stays while its sessions last)."""
    out = []
    for p in m.residents():
        try:
            with open("/proc/%d/cmdline" % p, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if service_arg.encode() in argv and b"-R" in argv:
            out.append(p)
    return out


def resident_of(m, service_arg="-mmx"):
    """The pid of a resident smtpd serving that mode, or None."""
    pids = residents_of(m, service_arg)
    return pids[0] if pids else None


def wait_resident(m, arg="-mmx", other_than=None):
    box = []

    def found():
        for p in residents_of(m, arg):
            if p != other_than:
                box.append(p)
                return True
        return False
    try:
        H.wait_until(found, CHECK_TIMEOUT, "a resident smtpd %s" % arg)
    except AssertionError:
        raise AssertionError("no resident %s (other than %s) among %r" % (
            arg, other_than, [(p, H.proc_comm(p)) for p in
                              H.children(m.proc.pid)]))
    return box[-1]


def session_parent(res):
    """The smtpsession process of resident res (its only one)."""
    box = []

    def found():
        box[:] = [p for p in H.children(res)
                  if H.proc_comm(p) == "smtpsession"]
        return len(box) == 1
    H.wait_until(found, CHECK_TIMEOUT, "the resident's smtpsession")
    return box[0]


def exe_start_time(pid):
    """Field 22 of /proc/pid/stat: when the process started (ticks)."""
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


@pytest.mark.facteur(start=False)
def test_sessions_are_forked_by_the_resident(fct, master_factory):
    m = master_factory()
    res = wait_resident(m)
    started = exe_start_time(res)
    clients = [Client(m.port) for _ in range(3)]
    for c in clients:
        assert c.greeting[0] == 220
    H.wait_until(lambda: len(m.sessions()) == 3, CHECK_TIMEOUT,
                 "three sessions")
    spawner = session_parent(res)
    for sess in m.sessions():
        # the session comes from the resident's smtpsession, not from
        # the master: the master started no program for it; and it is
        # the whole connection: no monitor process of its own
        assert int(H.proc_stat(sess)[1]) == spawner
        assert H.proc_comm(sess) == "smtpd"
        assert H.children(sess) == []
        # it maps no TLS library, nothing of the resident's
        with open("/proc/%d/maps" % sess) as f:
            maps = f.read()
        assert "libcrypto" not in maps and "libssl" not in maps
        assert os.path.basename(os.readlink("/proc/%d/exe" % sess)) == \
            "smtpsession"
        if H.IS_ROOT:
            import pwd
            uid = pwd.getpwnam(SMTPD_USER).pw_uid
            assert H.proc_uids(res)[0] == 0
            assert H.proc_uids(sess) == (uid,) * 4
            assert os.readlink("/proc/%d/root" % sess) == \
                fct.conf["smtpd_chroot"]
        # it holds the client, its channel to the resident, the log
        fds = os.listdir("/proc/%d/fd" % sess)
        assert len(fds) <= 5, fds
    for i, c in enumerate(clients):
        code = c.mail("x@example.org", ["alice@facteur.test"],
                      b"Subject: r\r\nX-Facteur-Test: res-%d\r\n\r\nr\r\n.\r\n"
                      % i)
        assert code[0] == 250, code
        assert c.code("QUIT") == 221
        c.close()
    for i in range(3):
        fct.wait_for_tag("alice", "res-%d" % i)
    # the same resident served them all
    assert resident_of(m) == res and exe_start_time(res) == started
    m.wait_idle()


@pytest.mark.facteur(start=False)
def test_limits_count_resident_sessions_out(fct, master_factory):
    m = master_factory(max_sessions_per_client="1")
    wait_resident(m)
    for i in range(5):
        # the resident's "ended" report of the last session frees the
        # slot for the next one (a refused try is not counted)
        box = []

        def admitted():
            c = Client(m.port)
            if c.greeting[0] == 220:
                box.append(c)
                return True
            c.close()
            return False
        H.wait_until(admitted, CHECK_TIMEOUT, "the slot to be free")
        c = box[0]
        extra = Client(m.port)
        assert extra.greeting[0] == 421, extra.greeting
        extra.close()
        assert c.code("QUIT") == 221
        c.close()
    m.wait_idle()


@pytest.mark.facteur(start=False)
def test_sighup_new_resident_old_session_goes_on(fct, master_factory):
    m = master_factory(max_sessions_per_client="1", shutdown_grace="20s")
    old = wait_resident(m)
    c = Client(m.port)
    assert c.code("EHLO client.test") == 250
    m.proc.send_signal(signal.SIGHUP)
    new = wait_resident(m, other_than=old)
    # the retired resident stays while its session lasts: it is the
    # session's monitor
    assert H.alive(old)
    code = c.mail("x@example.org", ["alice@facteur.test"],
                  b"Subject: o\r\nX-Facteur-Test: old-session\r\n\r\no\r\n.\r\n")
    assert code[0] == 250, code
    # ...and still counts: one session per client
    extra = Client(m.port)
    assert extra.greeting[0] == 421
    extra.close()
    assert c.code("QUIT") == 221
    c.close()
    fct.wait_for_tag("alice", "old-session")
    # once it ended, the retired resident reports it and exits; the
    # client may connect again, and the new resident serves it
    H.wait_until(lambda: not m.sessions(), CHECK_TIMEOUT, "the old session")
    H.wait_until(lambda: not H.alive(old), CHECK_TIMEOUT,
                 "the retired resident to exit")
    again = Client(m.port)
    assert again.greeting[0] == 220, again.greeting
    H.wait_until(lambda: len(m.sessions()) == 1, CHECK_TIMEOUT,
                 "the new session")
    assert int(H.proc_stat(m.sessions()[0])[1]) == session_parent(new)
    again.close()


@pytest.mark.facteur(start=False)
def test_killed_resident_costs_no_connection(fct, master_factory):
    m = master_factory(restart_delay="2s")
    res = wait_resident(m)
    os.kill(res, signal.SIGKILL)
    H.wait_until(lambda: "resident killed by signal 9" in fct.log(),
                 CHECK_TIMEOUT, "the master to notice")
    # within restart_delay: served by an smtpd started for the connection
    send_one(m.port, "during-restart")
    fct.wait_for_tag("alice", "during-restart")
    new = wait_resident(m, other_than=res)
    assert new != res
    send_one(m.port, "after-restart")
    fct.wait_for_tag("alice", "after-restart")
    assert m.proc.poll() is None


@pytest.mark.facteur(start=False)
def test_resident_off_starts_one_program_per_connection(fct, master_factory):
    m = master_factory(smtpd_resident="no")
    c = Client(m.port)
    assert c.greeting[0] == 220
    assert m.residents() == []
    H.wait_until(lambda: len(m.sessions()) == 1, CHECK_TIMEOUT, "a session")
    assert int(H.proc_stat(m.sessions()[0])[1]) == m.proc.pid
    c.close()
    send_one(m.port, "no-resident")
    fct.wait_for_tag("alice", "no-resident")


def served_cert(port):
    """DER of the certificate an smtps listener presents."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        with ctx.wrap_socket(s) as t:
            der = t.getpeercert(binary_form=True)
            t.recv(512)
            t.sendall(b"QUIT\r\n")
            return der


def pem_to_der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


@pytest.mark.facteur(start=False)
def test_sighup_rereads_the_certificate(fct, master_factory, tmp_path):
    tls_conf(fct)
    sport = free_port()
    m = master_factory(smtps_listen="127.0.0.1:%d" % sport,
                       shutdown_grace="20s")
    old_res = wait_resident(m, "-msmtps")
    cert = fct.conf["tls_cert_file"]
    key = fct.conf["tls_key_file"]
    assert served_cert(sport) == pem_to_der(cert)
    # a session open over the old certificate
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    old = ctx.wrap_socket(socket.create_connection(("127.0.0.1", sport),
                                                   timeout=30))
    old_der = old.getpeercert(binary_form=True)
    f = old.makefile("rb")
    assert f.readline().startswith(b"220")
    # a new certificate and key in place, then SIGHUP
    r = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
         "2", "-subj", "/CN=renewed.localhost", "-keyout",
         str(tmp_path / "k"), "-out", str(tmp_path / "c")],
        capture_output=True)
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "c", "rb") as s, open(cert, "wb") as d:
        d.write(s.read())
    with open(tmp_path / "k", "rb") as s, open(key, "wb") as d:
        d.write(s.read())
    m.proc.send_signal(signal.SIGHUP)
    wait_resident(m, "-msmtps", other_than=old_res)
    new_der = served_cert(sport)
    assert new_der == pem_to_der(cert) and new_der != old_der
    # the old session keeps its connection and its certificate
    old.sendall(b"NOOP\r\n")
    assert f.readline().startswith(b"250")
    old.sendall(b"QUIT\r\n")
    assert f.readline().startswith(b"221")
    f.close()
    old.close()


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def settled_fds(m, res):
    """The descriptor counts of the master and the resident once the
    resident has counted every session out: a session's process can be
    gone (m.wait_idle) a moment before the resident reads its pidfd and
    closes that and the session's channel."""
    def no_pidfd():
        for fd in os.listdir("/proc/%d/fd" % res):
            try:
                # anon_inode:[pidfd], or pidfd:[N] on kernels with pidfs
                if "pidfd" in os.readlink("/proc/%d/fd/%s" % (res, fd)):
                    return False
            except OSError:
                pass
        return True
    H.wait_until(no_pidfd, 30, "the resident to count its sessions out")
    return (open_fds(m.proc.pid), open_fds(res))


@pytest.mark.facteur(start=False)
def test_no_descriptor_leak_over_many_connections(fct, master_factory):
    """300 connections (some refused over the per-client limit, some
    dropped before the greeting is read): the master and the resident hold
    as many descriptors afterwards as before, and the master counts every
    session out."""
    m = master_factory(max_sessions_per_client="4")
    res = wait_resident(m)
    send_one(m.port, "warm")
    fct.wait_for_tag("alice", "warm")
    m.wait_idle()
    before = settled_fds(m, res)
    for i in range(60):
        held = []
        for _ in range(5):          # the fifth is over the limit: 421
            s = socket.create_connection(("127.0.0.1", m.port), timeout=30)
            held.append(s)
        for j, s in enumerate(held):
            if j % 2 == 0:
                s.recv(512)
                s.sendall(b"QUIT\r\n")
            s.close()
    m.wait_idle()
    send_one(m.port, "after-many")
    fct.wait_for_tag("alice", "after-many")
    m.wait_idle()
    assert resident_of(m) == res
    assert settled_fds(m, res) == before
    # the counts are back to zero: four at once are accepted again
    again = [Client(m.port) for _ in range(4)]
    assert [c.greeting[0] for c in again] == [220] * 4
    for c in again:
        c.close()
